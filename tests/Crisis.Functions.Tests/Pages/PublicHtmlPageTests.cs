using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Pages;

/// <summary>The public crisis page, its FAQ and the index in HTML, and their forms, through the host.</summary>
public class PublicHtmlPageTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private static string Text(string key, string language, params (string, string)[] values) => WebUtility.HtmlEncode(MessageCatalogue.Text(key, language, values));

    [Fact]
    public async Task The_crisis_page_is_html_in_the_asked_language_with_channels_by_need_first_and_every_part_of_the_page()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en", "fa");

        var response = await shared.Client.GetAsync($"/api/c/{id}?lang=fa");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("fa", response.Content.Headers.ContentLanguage.Single());
        Assert.Equal(HtmlPage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", html, StringComparison.Ordinal);
        Assert.Contains($"<h1>{CrisisFixtures.Titles["fa"]}</h1>", html, StringComparison.Ordinal);
        var channels = html.IndexOf($"<h2 id=\"channels\">{Text(MessageKeys.PublicChannelsTitle, "fa")}</h2>", StringComparison.Ordinal);
        var updates = html.IndexOf($"<h2 id=\"updates\">{Text(MessageKeys.PublicUpdatesTitle, "fa")}</h2>", StringComparison.Ordinal);
        Assert.InRange(channels, 1, updates - 1);
        Assert.Contains($"<h3>{Text(MessageKeys.PublicNeedEmergency, "fa")}</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"tel:+442079460000\"><bdi>+442079460000</bdi></a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"mailto:help@example.org\">", html, StringComparison.Ordinal);
        Assert.Contains("Depots reopen on Monday (fa).", html, StringComparison.Ordinal);
        Assert.Contains(Text(MessageKeys.PublicKeyDatesTitle, "fa"), html, StringComparison.Ordinal);
        Assert.Contains("<time datetime=\"2026-12-24\">", html, StringComparison.Ordinal);
        Assert.Contains(Text(MessageKeys.PublicPolicyChanged, "fa"), html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://www.gov.example/help\">", html, StringComparison.Ordinal);
        Assert.Contains($"<form method=\"get\" action=\"/api/c/{id}/faq\" role=\"search\">", html, StringComparison.Ordinal);
        Assert.Contains($"<form method=\"post\" action=\"/api/c/{id}/subscribe?lang=fa\" novalidate>", html, StringComparison.Ordinal);
        Assert.Contains("<bdi>depots</bdi>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/c/{id}?lang=en\" hreflang=\"en\" lang=\"en\" dir=\"ltr\">English</a>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/c/{id}?lang=fa\" hreflang=\"fa\" lang=\"fa\" dir=\"rtl\" aria-current=\"page\">فارسی</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.True(html.Length < 60 * 1024, $"The page is {html.Length} bytes.");
    }

    [Fact]
    public async Task The_page_is_served_with_a_strong_etag_and_cache_control_and_a_304_when_the_reader_holds_it()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");

        var first = await shared.Client.GetAsync($"/api/c/{id}");
        var second = await shared.Client.GetAsync($"/api/c/{id}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.ETag!.IsWeak);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.True(first.Headers.CacheControl!.Public);
        Assert.NotNull(first.Headers.CacheControl.MaxAge);
        Assert.Contains("Accept-Language", first.Headers.Vary);
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/c/{id}");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag);
        var revalidated = await shared.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());

        await shared.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { en = "Depots are open again." }, publish = true });
        var changed = await shared.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/c/{id}") { Headers = { IfNoneMatch = { first.Headers.ETag } } });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("Depots are open again.", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fa, en;q=0.5", "fa", "rtl")]
    [InlineData("de-DE, de;q=0.9", "en", "ltr")]
    public async Task Without_lang_the_page_follows_accept_language_and_falls_back_to_the_crisis_default(string acceptLanguage, string language, string direction)
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en", "fa");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/c/{id}");
        request.Headers.Add("Accept-Language", acceptLanguage);

        var response = await shared.Client.SendAsync(request);

        Assert.Equal(language, response.Content.Headers.ContentLanguage.Single());
        Assert.StartsWith($"<!doctype html><html lang=\"{language}\" dir=\"{direction}\">", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_crisis_text_is_shown_as_text_and_never_as_markup()
    {
        const string hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>";
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["title"] = new JsonObject { ["en"] = hostile };
        var content = PublicPageContent.Content("en");
        content["faq"]![0]!["question"] = new JsonObject { ["en"] = hostile };
        var id = await CrisisFixtures.CreateActiveAsync(shared.Admin, crisis, content);

        var html = await (await shared.Client.GetAsync($"/api/c/{id}")).Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        var faq = await (await shared.Client.GetAsync($"/api/c/{id}/faq")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", faq, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", faq, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retracted_update_leaves_the_html_page_as_it_leaves_the_json_page()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");
        var wrong = await (await shared.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { en = "Depots close on Friday." }, publish = true })).ReadJsonAsync();
        (await shared.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{wrong.GetProperty("id").GetString()}/retract", new { reason = "Wrong day" })).EnsureSuccessStatusCode();

        var html = await (await shared.Client.GetAsync($"/api/c/{id}")).Content.ReadAsStringAsync();

        Assert.DoesNotContain("Depots close on Friday.", html, StringComparison.Ordinal);
        Assert.Contains("Depots reopen on Monday.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_crisis_is_a_404_page_and_the_index_lists_public_crises_in_their_language()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "cy", "en");

        var missing = await shared.Client.GetAsync("/api/c/no-such-crisis?lang=cy");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains($"<h1>{Text(MessageKeys.PublicNotFoundTitle, "cy")}</h1>", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var index = await shared.Client.GetAsync("/api/c?lang=cy");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        var html = await index.Content.ReadAsStringAsync();
        Assert.StartsWith("<!doctype html><html lang=\"cy\" dir=\"ltr\">", html, StringComparison.Ordinal);
        Assert.Contains($"<h1>{Text(MessageKeys.PublicIndexTitle, "cy")}</h1>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/c/{id}?lang=cy\">{CrisisFixtures.Titles["cy"]}</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_faq_page_searches_without_script_and_says_when_nothing_matches()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");

        var all = await (await shared.Client.GetAsync($"/api/c/{id}/faq")).Content.ReadAsStringAsync();
        Assert.Contains("Can I get a refund?", all, StringComparison.Ordinal);
        Assert.Contains("Where is my parcel?", all, StringComparison.Ordinal);
        Assert.Contains($"<h2 id=\"q-refund\">", all, StringComparison.Ordinal);

        var found = await (await shared.Client.GetAsync($"/api/c/{id}/faq?lang=en&q=parcel")).Content.ReadAsStringAsync();
        Assert.Contains("Where is my parcel?", found, StringComparison.Ordinal);
        Assert.DoesNotContain("Can I get a refund?", found, StringComparison.Ordinal);
        Assert.Contains("value=\"parcel\"", found, StringComparison.Ordinal);

        var none = await (await shared.Client.GetAsync($"/api/c/{id}/faq?lang=en&q=volcano")).Content.ReadAsStringAsync();
        Assert.Contains(Text(MessageKeys.PublicFaqNoResults, "en", ("query", "volcano")), none, StringComparison.Ordinal);

        var tooLong = await shared.Client.GetAsync($"/api/c/{id}/faq?q={new string('a', 201)}");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("q must be at most 200 characters", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_question_asked_through_the_form_is_received_and_answered_with_a_page()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");
        var faq = await (await shared.Client.GetAsync($"/api/c/{id}/faq")).Content.ReadAsStringAsync();
        var token = PublicPageContent.TokenFor(faq, PublicHtml.AskPath(id));

        var response = await PublicPageContent.PostFormAsync(shared.Client, $"/api/c/{id}/questions?lang=en", [new("form", token), new("text", "Can I collect my parcel myself?"), new("contact", "")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(Text(MessageKeys.PublicAskSentTitle, "en"), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var questions = (await shared.Admin.GetFromJsonAsync<JsonObject>($"/api/admin/crises/{id}/questions"))!["questions"]!.AsArray();
        Assert.Equal("Can I collect my parcel myself?", Assert.Single(questions)!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refused_question_comes_back_with_the_problem_next_to_its_field_what_was_typed_and_nothing_stored()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");
        var token = PublicPageContent.TokenFor(await (await shared.Client.GetAsync($"/api/c/{id}/faq")).Content.ReadAsStringAsync(), PublicHtml.AskPath(id));

        var response = await PublicPageContent.PostFormAsync(shared.Client, $"/api/c/{id}/questions?lang=en", [new("form", token), new("text", "Why"), new("contact", "not-an-address")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<p class=\"error\" id=\"text-error\">", html, StringComparison.Ordinal);
        Assert.Contains("must be at least 5 characters.", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"error\" id=\"contact-error\">", html, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\" aria-describedby=\"text-error\">Why</textarea>", html, StringComparison.Ordinal);
        Assert.Contains("value=\"not-an-address\"", html, StringComparison.Ordinal);
        Assert.Empty((await shared.Admin.GetFromJsonAsync<JsonObject>($"/api/admin/crises/{id}/questions"))!["questions"]!.AsArray());
    }

    [Fact]
    public async Task A_form_from_another_site_or_without_a_valid_token_for_its_action_is_refused_with_403_and_nothing_stored()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");
        var faq = await (await shared.Client.GetAsync($"/api/c/{id}/faq")).Content.ReadAsStringAsync();
        var token = PublicPageContent.TokenFor(faq, PublicHtml.AskPath(id));
        var voteToken = PublicPageContent.TokenFor(faq, PublicHtml.VotePath(id, "refund"));
        var expired = shared.App.Services.GetRequiredService<SignedTokens>().Create(FormGuard.Purpose, PublicHtml.AskPath(id), TimeSpan.FromMinutes(-1));
        var path = $"/api/c/{id}/questions?lang=en";
        KeyValuePair<string, string> question = new("text", "Can I collect my parcel myself?");

        var refusals = new[]
        {
            await PublicPageContent.PostFormAsync(shared.Client, path, [new("form", token), question], site: "cross-site"),
            await PublicPageContent.PostFormAsync(shared.Client, path, [question]),
            await PublicPageContent.PostFormAsync(shared.Client, path, [new("form", token[..^4] + "AAAA"), question]),
            await PublicPageContent.PostFormAsync(shared.Client, path, [new("form", voteToken), question]),
            await PublicPageContent.PostFormAsync(shared.Client, path, [new("form", expired), question]),
        };

        foreach (var refused in refusals)
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Contains($"<h1>{Text(MessageKeys.PublicFormRefusedTitle, "en")}</h1>", html, StringComparison.Ordinal);
        }

        Assert.Contains("This form can only be sent from this site", await refusals[0].Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("reload it and send the form again", await refusals[4].Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var tooBig = await PublicPageContent.PostFormAsync(shared.Client, path, [new("form", token), new("text", new string('a', FormGuard.MaxBody + 1))]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Empty((await shared.Admin.GetFromJsonAsync<JsonObject>($"/api/admin/crises/{id}/questions"))!["questions"]!.AsArray());
    }

    [Fact]
    public async Task A_was_this_helpful_button_is_recorded_and_answered_with_a_page_that_leads_back()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en", "fa");
        var faq = await (await shared.Client.GetAsync($"/api/c/{id}/faq?lang=fa")).Content.ReadAsStringAsync();
        var token = PublicPageContent.TokenFor(faq, PublicHtml.VotePath(id, "refund"));

        var response = await PublicPageContent.PostFormAsync(shared.Client, $"/api/c/{id}/faq/refund/votes?lang=fa", [new("form", token), new("helpful", "true")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<h1>{Text(MessageKeys.PublicVoteTitle, "fa")}</h1>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/c/{id}/faq?lang=fa\">", html, StringComparison.Ordinal);
        var unreadable = await PublicPageContent.PostFormAsync(shared.Client, $"/api/c/{id}/faq/refund/votes?lang=fa", [new("form", token), new("helpful", "maybe")]);
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Contains("helpful must be true or false.", await unreadable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_subscription_names_the_field_with_the_problem_and_keeps_what_was_typed()
    {
        var id = await PublicPageContent.CreateAsync(shared.Admin, "en");
        var token = PublicPageContent.TokenFor(await (await shared.Client.GetAsync($"/api/c/{id}")).Content.ReadAsStringAsync(), PublicHtml.SubscribePath(id));

        var response = await PublicPageContent.PostFormAsync(shared.Client, $"/api/c/{id}/subscribe?lang=en", [new("form", token), new("email", "not-an-address"), new("phone", ""), new("language", "en")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<p class=\"error\" id=\"email-error\">", html, StringComparison.Ordinal);
        Assert.Contains("value=\"not-an-address\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"#email\">", html, StringComparison.Ordinal);
    }
}
