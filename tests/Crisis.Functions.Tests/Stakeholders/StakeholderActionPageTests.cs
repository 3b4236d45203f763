using System.Globalization;
using System.Net;
using System.Text.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;
using static Crisis.Functions.Tests.Subscriptions.LinkPages;

namespace Crisis.Functions.Tests.Stakeholders;

/// <summary>One app for the action page tests, whose many page loads stay within the public rate limit; each test uses a crisis and stakeholder of its own.</summary>
public sealed class ActionPageApp : IAsyncLifetime
{
    public ReminderFixture F { get; private set; } = null!;

    public async Task InitializeAsync() => F = await ReminderFixture.StartAsync(new Dictionary<string, string?> { ["RateLimits:PublicWritesPerMinute"] = "1000" });

    public async Task DisposeAsync() => await F.DisposeAsync();
}

/// <summary>The reminder's link opened in a browser: what is owed, and the forms to acknowledge or post the update.</summary>
public class StakeholderActionPageTests(ActionPageApp shared) : IClassFixture<ActionPageApp>
{
    private readonly ReminderFixture _f = shared.F;

    [Fact]
    public async Task The_reminder_link_opens_a_page_in_the_stakeholders_language_with_the_due_time_in_their_zone_while_api_clients_still_get_json()
    {
        var (link, crisis, _) = await RemindAsync("page-fa", language: "fa", timeZone: "Asia/Tehran");
        var json = await (await _f.Client.GetAsync(link)).ReadJsonAsync();

        var page = await GetAsync(_f.Client, link);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", page.Html, StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksActionTitle, "fa", ("topic", "Shipping status")), Heading(page.Html));
        Assert.Contains(WebUtility.HtmlEncode(json.GetProperty("dueAtLocal").GetString()!), page.Html, StringComparison.Ordinal);
        Assert.Contains("Asia/Tehran", json.GetProperty("dueAtLocal").GetString()!, StringComparison.Ordinal);
        Assert.Equal("no-referrer", page.Response.Headers.GetValues("Referrer-Policy").Single());
        FormTo(page.Html, "/api/stakeholder-actions/page/acknowledge");
        FormTo(page.Html, "/api/stakeholder-actions/page/post-update");
        Assert.Contains("<textarea id=\"text-fa\" name=\"text.fa\" rows=\"5\" lang=\"fa\" dir=\"rtl\"", page.Html, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.LinksActionReview, "fa")), page.Html, StringComparison.Ordinal);
        Assert.Equal(crisis, json.GetProperty("crisisId").GetString());
    }

    [Fact]
    public async Task Acknowledging_from_the_page_with_a_new_time_in_the_stakeholders_zone_answers_the_occurrence_once()
    {
        var (link, crisis, _) = await RemindAsync("page-ack", timeZone: "America/New_York");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var eta = new DateTimeOffset(_f.Clock.Now.UtcDateTime.Date.AddDays(2).AddHours(15), TimeSpan.Zero);
        var local = TimeZoneInfo.ConvertTime(eta, zone).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

        var done = await SendAsync(_f.Client, FormTo((await GetAsync(_f.Client, link)).Html, "/api/stakeholder-actions/page/acknowledge"), ("newEta", local), ("note", "On it."));

        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksAcknowledgedTitle, "en"), Heading(done.Html));
        Assert.Contains(WebUtility.HtmlEncode(LocalTimes.Format(eta, "America/New_York", "en")), done.Html, StringComparison.Ordinal);
        var update = await ExpectedUpdateAsync(crisis);
        var first = update.GetProperty("occurrences")[0];
        Assert.Equal("acknowledged", first.GetProperty("satisfiedBy").GetString());
        Assert.Equal("On it.", first.GetProperty("note").GetString());
        Assert.Equal(eta, update.GetProperty("occurrences")[1].GetProperty("dueAt").GetDateTimeOffset());

        var again = await GetAsync(_f.Client, link);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksAnsweredTitle, "en"), Heading(again.Html));
        Assert.DoesNotContain("<form", again.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posting_the_update_from_the_page_publishes_it_for_a_stakeholder_allowed_to_publish()
    {
        var (link, crisis, _) = await RemindAsync("page-post", canPublish: true);
        var page = (await GetAsync(_f.Client, link)).Html;
        Assert.Contains("name=\"nextUpdateExpectedAt\"", page, StringComparison.Ordinal);

        var done = await SendAsync(_f.Client, FormTo(page, "/api/stakeholder-actions/page/post-update"), ("text.en", "Ships sail again at noon."), ("text.fa", ""), ("nextUpdateExpectedAt", ""));

        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksPostedTitle, "en"), Heading(done.Html));
        Assert.Contains(MessageCatalogue.Text(MessageKeys.LinksPostedPublished, "en"), done.Html, StringComparison.Ordinal);
        var updates = (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/updates")).ReadJsonAsync()).GetProperty("updates");
        var posted = Assert.Single(updates.EnumerateArray());
        Assert.Equal("Ships sail again at noon.", posted.GetProperty("text").GetProperty("en").GetString());
        Assert.Equal("posted", (await ExpectedUpdateAsync(crisis)).GetProperty("occurrences")[0].GetProperty("satisfiedBy").GetString());
    }

    [Fact]
    public async Task A_bad_answer_shows_each_problem_beside_its_field_with_what_was_typed_escaped_and_answers_nothing()
    {
        var (link, crisis, _) = await RemindAsync("page-bad");
        var page = (await GetAsync(_f.Client, link)).Html;
        var before = (await ExpectedUpdateAsync(crisis)).ToString();

        var refused = await SendAsync(_f.Client, FormTo(page, "/api/stakeholder-actions/page/acknowledge"), ("newEta", "next tuesday"), ("note", "<img src=x onerror=alert(1)>"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("<p class=\"error\" id=\"newEta-error\">newEta must be a date and time in Europe/London, such as 2026-12-01T14:30.</p>", refused.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;</textarea>", refused.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", refused.Html, StringComparison.Ordinal);

        var past = TimeZoneInfo.ConvertTime(_f.Clock.Now.AddHours(-1), TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        var late = await SendAsync(_f.Client, FormTo(page, "/api/stakeholder-actions/page/acknowledge"), ("newEta", past), ("note", ""));
        Assert.Contains("<p class=\"error\" id=\"newEta-error\">newEta must be in the future, within 31 days.</p>", late.Html, StringComparison.Ordinal);

        var empty = await SendAsync(_f.Client, FormTo(page, "/api/stakeholder-actions/page/post-update"), ("text.en", " "), ("text.fa", "<b>بدون انگلیسی</b>"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Contains("<p class=\"error\" id=\"text-en-error\">text.en needs a text in the default language", empty.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;بدون انگلیسی&lt;/b&gt;</textarea>", empty.Html, StringComparison.Ordinal);
        Assert.Equal(before, (await ExpectedUpdateAsync(crisis)).ToString());
    }

    [Fact]
    public async Task A_form_without_this_pages_guard_token_or_sent_from_another_site_is_refused_and_answers_nothing()
    {
        var (link, crisis, _) = await RemindAsync("page-guard");
        var (otherLink, _, _) = await RemindAsync("page-guard-other");
        var page = (await GetAsync(_f.Client, link)).Html;
        var acknowledge = FormTo(page, "/api/stakeholder-actions/page/acknowledge");
        var post = FormTo(page, "/api/stakeholder-actions/page/post-update");
        var others = FormTo((await GetAsync(_f.Client, otherLink)).Html, "/api/stakeholder-actions/page/acknowledge");
        var before = (await ExpectedUpdateAsync(crisis)).ToString();
        KeyValuePair<string, string>[] note = [KeyValuePair.Create("note", "hello")];

        var attempts = new[]
        {
            await PostAsync(_f.Client, acknowledge.Action, note),
            await PostAsync(_f.Client, acknowledge.Action, note.Prepend(KeyValuePair.Create("form", post.Token))),
            await PostAsync(_f.Client, acknowledge.Action, note.Prepend(KeyValuePair.Create("form", others.Token))),
            await PostAsync(_f.Client, acknowledge.Action, note.Prepend(KeyValuePair.Create("form", acknowledge.Token)), fetchSite: "cross-site"),
        };

        Assert.All(attempts, refused =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksFormRefusedTitle, "en"), Heading(refused.Html));
        });
        Assert.Equal(before, (await ExpectedUpdateAsync(crisis)).ToString());
    }

    [Fact]
    public async Task An_archived_crisis_a_broken_link_and_an_expired_link_open_pages_that_say_so()
    {
        var (link, crisis, _) = await RemindAsync("page-archived");
        var form = FormTo((await GetAsync(_f.Client, link)).Html, "/api/stakeholder-actions/page/acknowledge");
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/end");
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/archive");

        var archived = await GetAsync(_f.Client, link);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksArchivedTitle, "en"), Heading(archived.Html));
        Assert.DoesNotContain("<form", archived.Html, StringComparison.Ordinal);
        var refused = await SendAsync(_f.Client, form, ("note", "late"));
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksArchivedTitle, "en"), Heading(refused.Html));
        Assert.Equal(JsonValueKind.Null, (await ExpectedUpdateAsync(crisis)).GetProperty("occurrences")[0].GetProperty("satisfiedAt").ValueKind);

        var broken = await GetAsync(_f.Client, "/api/stakeholder-actions?token=x.y.z&lang=fa");
        Assert.Equal(HttpStatusCode.BadRequest, broken.Status);
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", broken.Html, StringComparison.Ordinal);

        var (expiring, _, _) = await RemindAsync("page-expired");
        _f.Clock.Advance(Crisis.Functions.Stakeholders.ReminderTimer.ActionLinkLifetime + TimeSpan.FromMinutes(1));
        var expired = await GetAsync(_f.Client, expiring);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksActionExpiredText, "en"), WebUtility.HtmlDecode(expired.Html.Split("<p>")[1].Split("</p>")[0]));
    }

    /// <summary>A crisis of its own (in English and Persian) with an update owed now by a new stakeholder reached by webhook, and the reminder's link.</summary>
    private async Task<(string Link, string CrisisId, string StakeholderId)> RemindAsync(string name, string language = "en", string timeZone = "Europe/London", bool canPublish = false)
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        var owner = await _f.AddStakeholderAsync(name, "expert", canPublish, timeZone: timeZone, language: language);
        await _f.ExpectAsync(owner, TimeSpan.Zero, crisisId: crisis);
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        var url = JsonDocument.Parse(_f.DeliveredTo(name).Single().Body).RootElement.GetProperty("actionUrl").GetString()!;
        return (new Uri(url).PathAndQuery, crisis, owner);
    }

    private async Task<JsonElement> ExpectedUpdateAsync(string crisis) =>
        (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/expected-updates")).ReadJsonAsync()).GetProperty("expectedUpdates")[0];
}
