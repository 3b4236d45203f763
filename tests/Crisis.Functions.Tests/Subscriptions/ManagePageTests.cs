using System.Net;
using System.Text.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Pages;
using Crisis.Functions.Tests.Infrastructure;
using static Crisis.Functions.Tests.Subscriptions.LinkPages;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>One app for the manage page tests; each test subscribes a webhook of its own.</summary>
public sealed class ManagePageApp : IAsyncLifetime
{
    public SubscriptionFixture F { get; private set; } = null!;

    public async Task InitializeAsync() => F = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await F.DisposeAsync();
}

/// <summary>The manage link opened in a browser: the page, its forms, the form guard and the erase confirmation step.</summary>
public class ManagePageTests(ManagePageApp shared) : IClassFixture<ManagePageApp>
{
    private readonly SubscriptionFixture _f = shared.F;

    [Fact]
    public async Task The_manage_link_opens_a_page_in_the_subscribers_language_showing_the_subscription_while_api_clients_still_get_json()
    {
        var manage = await ManageLinkAsync("pages/shown", "fa");
        var json = await (await _f.Client.GetAsync(manage)).ReadJsonAsync();

        var page = await GetAsync(_f.Client, manage);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("text/html", page.Response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", page.Html, StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksManageTitle, "fa"), Heading(page.Html));
        Assert.Contains(WebUtility.HtmlEncode(json.GetProperty("contact").GetString()!), page.Html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"cy\" lang=\"cy\">Cymraeg</option>", page.Html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"fa\" lang=\"fa\" selected>", page.Html, StringComparison.Ordinal);
        Assert.Equal("no-referrer", page.Response.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(page.Response.Headers.CacheControl!.NoStore);
        FormTo(page.Html, "/api/subscriptions/manage");
        FormTo(page.Html, "/api/subscriptions/manage/unsubscribe");
        Assert.Contains("href=\"/api/subscriptions/manage/erase?token=", page.Html, StringComparison.Ordinal);

        var english = await GetAsync(_f.Client, manage + "&lang=en");
        Assert.StartsWith("<!doctype html><html lang=\"en\" dir=\"ltr\">", english.Html, StringComparison.Ordinal);
        Assert.Equal("Your subscription", Heading(english.Html));
        Assert.Equal("confirmed", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Changing_language_topics_and_scope_with_the_form_saves_them_and_answers_in_the_new_language()
    {
        var manage = await ManageLinkAsync("pages/change", "en");
        var form = FormTo((await GetAsync(_f.Client, manage)).Html, "/api/subscriptions/manage");

        var saved = await SendAsync(_f.Client, form, ("language", "cy"), ("topics", "refunds, deliveries"), ("scope", _f.CrisisId));

        Assert.Equal(HttpStatusCode.OK, saved.Status);
        Assert.StartsWith("<!doctype html><html lang=\"cy\" dir=\"ltr\">", saved.Html, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.LinksManageSaved, "cy")), saved.Html, StringComparison.Ordinal);
        var view = await (await _f.Client.GetAsync(manage)).ReadJsonAsync();
        Assert.Equal("cy", view.GetProperty("language").GetString());
        Assert.Equal(_f.CrisisId, view.GetProperty("scope").GetString());
        Assert.Equal(["deliveries", "refunds"], view.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task A_bad_change_shows_each_problem_beside_its_field_with_hostile_input_escaped_and_changes_nothing()
    {
        var manage = await ManageLinkAsync("pages/bad", "en");
        var before = (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString();
        var form = FormTo((await GetAsync(_f.Client, manage)).Html, "/api/subscriptions/manage");

        var refused = await SendAsync(_f.Client, form, ("language", "xx-nope"), ("topics", "<script>alert(1)</script>"), ("scope", "all"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains(MessageCatalogue.Text(MessageKeys.LinksFormInvalid, "en"), refused.Html, StringComparison.Ordinal);
        Assert.Matches("<div class=\"field invalid\"><label for=\"language\">Language</label><p class=\"error\" id=\"language-error\">language [^<]+</p><select id=\"language\" name=\"language\" aria-invalid=\"true\" aria-describedby=\"language-error\">", refused.Html);
        Assert.Contains("<p class=\"error\" id=\"topics-error\">topics must be 1 to 40 lowercase letters", refused.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", refused.Html, StringComparison.Ordinal);
        Assert.Equal(before, (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString());

        var unknown = await SendAsync(_f.Client, form, ("language", "en"), ("topics", ""), ("scope", "no-such-crisis"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("<p class=\"error\" id=\"scope-error\">scope There is no public crisis &#39;no-such-crisis&#39;.</p>", unknown.Html, StringComparison.Ordinal);
        Assert.Equal(before, (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString());
    }

    [Fact]
    public async Task A_form_without_this_pages_guard_token_or_sent_from_another_site_is_refused_with_a_page_and_changes_nothing()
    {
        var manage = await ManageLinkAsync("pages/guard", "en");
        var other = await ManageLinkAsync("pages/guard-other", "en");
        var before = (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString();
        var html = (await GetAsync(_f.Client, manage)).Html;
        var preferences = FormTo(html, "/api/subscriptions/manage");
        var unsubscribe = FormTo(html, "/api/subscriptions/manage/unsubscribe");
        var othersForm = FormTo((await GetAsync(_f.Client, other)).Html, "/api/subscriptions/manage");
        var change = new[] { KeyValuePair.Create("language", "fa"), KeyValuePair.Create("topics", ""), KeyValuePair.Create("scope", "all") };

        var attempts = new[]
        {
            await PostAsync(_f.Client, preferences.Action, change),
            await PostAsync(_f.Client, preferences.Action, change.Prepend(KeyValuePair.Create("form", "x.y.z"))),
            await PostAsync(_f.Client, preferences.Action, change.Prepend(KeyValuePair.Create("form", unsubscribe.Token))),
            await PostAsync(_f.Client, preferences.Action, change.Prepend(KeyValuePair.Create("form", othersForm.Token))),
            await PostAsync(_f.Client, preferences.Action, change.Prepend(KeyValuePair.Create("form", preferences.Token)), fetchSite: "cross-site"),
            await PostAsync(_f.Client, unsubscribe.Action, [KeyValuePair.Create("form", preferences.Token)]),
        };

        Assert.All(attempts, refused =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksFormRefusedTitle, "en"), Heading(refused.Html));
        });
        Assert.Equal(before, (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString());
    }

    [Fact]
    public async Task A_form_larger_than_the_page_could_send_is_refused_with_a_413_page_in_the_subscribers_language_and_changes_nothing()
    {
        var manage = await ManageLinkAsync("pages/too-large", "fa");
        var before = (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString();
        var preferences = FormTo((await GetAsync(_f.Client, manage)).Html, "/api/subscriptions/manage");

        var refused = await PostAsync(_f.Client, preferences.Action,
            [KeyValuePair.Create("form", preferences.Token), KeyValuePair.Create("language", "en"), KeyValuePair.Create("topics", new string('a', FormGuard.MaxBody))]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.Status);
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", refused.Html, StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.PageErrorTitle, "fa"), Heading(refused.Html));
        Assert.Equal(before, (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).ToString());
    }

    [Fact]
    public async Task Erasing_from_the_page_asks_to_confirm_first_and_only_the_confirmation_erases()
    {
        var manage = await ManageLinkAsync("pages/erase", "fa");
        var link = FormLink((await GetAsync(_f.Client, manage)).Html, "/api/subscriptions/manage/erase");

        var confirm = await GetAsync(_f.Client, link);

        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", confirm.Html, StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksEraseTitle, "fa"), Heading(confirm.Html));
        Assert.Contains($"href=\"{WebUtility.HtmlEncode(manage)}\"", confirm.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.GetAsync(manage)).StatusCode);

        var erased = await SendAsync(_f.Client, FormTo(confirm.Html, "/api/subscriptions/manage/erase"));

        Assert.Equal(HttpStatusCode.OK, erased.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksErasedTitle, "fa"), Heading(erased.Html));
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.GetAsync(manage)).StatusCode);
        var gone = await GetAsync(_f.Client, manage);
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.PageGoneTitle, "en"), Heading(gone.Html));
    }

    [Fact]
    public async Task Unsubscribing_from_the_manage_page_ends_the_subscription_and_the_farewell_follows()
    {
        var manage = await ManageLinkAsync("pages/leave", "en");

        var left = await SendAsync(_f.Client, FormTo((await GetAsync(_f.Client, manage)).Html, "/api/subscriptions/manage/unsubscribe"));

        Assert.Equal(HttpStatusCode.OK, left.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.PageUnsubscribedTitle, "en"), Heading(left.Html));
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.GetAsync(manage)).StatusCode);
        await _f.RunTimerAsync();
        Assert.Contains(_f.DeliveredTo("pages/leave"), d => SubscriptionFixture.Type(d) == "subscription.ended");
    }

    [Theory]
    [InlineData("en", "ltr")]
    [InlineData("fa", "rtl")]
    public async Task A_broken_manage_link_opens_a_page_in_the_readers_language(string language, string direction)
    {
        var page = await GetAsync(_f.Client, $"/api/subscriptions/manage?token=x.y.z&lang={language}");

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.StartsWith($"<!doctype html><html lang=\"{language}\" dir=\"{direction}\">", page.Html, StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.PageLinkUnusableTitle, language), Heading(page.Html));
    }

    [Fact]
    public void The_host_and_the_worker_keep_request_urls_whose_query_holds_a_link_token_out_of_their_logs_and_telemetry()
    {
        // The ASP.NET Core request logs (host and worker) write the whole URL, query and token included; the host's
        // dependency telemetry records its call to the worker with the URL too. Both stay off.
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")));
        var logging = host.RootElement.GetProperty("logging");
        Assert.Equal("Warning", logging.GetProperty("logLevel").GetProperty("Microsoft.AspNetCore").GetString());
        Assert.False(logging.GetProperty("applicationInsights").GetProperty("enableDependencyTracking").GetBoolean());
        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.AppProject, "appsettings.json")));
        Assert.Equal("Warning", worker.RootElement.GetProperty("Logging").GetProperty("LogLevel").GetProperty("Microsoft.AspNetCore").GetString());
    }

    private async Task<string> ManageLinkAsync(string path, string language)
    {
        var confirmed = await _f.SubscribeWebhookAsync(path, language);
        return SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("manage").GetString()!);
    }

    private static string FormLink(string html, string path)
    {
        var start = html.IndexOf($"href=\"{path}?", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no link to {path} in: {html}");
        start += "href=\"".Length;
        return WebUtility.HtmlDecode(html[start..html.IndexOf('"', start)]);
    }
}
