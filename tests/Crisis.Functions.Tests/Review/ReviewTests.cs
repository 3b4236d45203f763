using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;
using Crisis.Functions.Tests.Subscriptions;

namespace Crisis.Functions.Tests.Review;

public sealed class ReviewTests : IAsyncLifetime
{
    private static readonly string[] RefundTag = ["refund"];
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync(new Dictionary<string, string?>
    {
        ["Subscriptions:QuarantineAfterFailures"] = "3",
        ["Expiry:GracePeriod"] = "01:00:00",
    });

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task The_review_reports_exactly_what_happened_during_the_crisis_as_json_and_markdown()
    {
        var id = _f.CrisisId;
        await CrisisFixtures.SaveAndPublishContentAsync(_f.Admin, id, JsonNode.Parse("""
            {"faq":[
              {"id":"refund","category":"billing","order":1,"question":{"en":"Will I be refunded?","fa":"آیا پول من برگردانده می‌شود؟"},"answer":{"en":"Yes.","fa":"بله."}},
              {"id":"delivery","category":"delivery","order":2,"question":{"en":"When will my parcel arrive?"},"answer":{"en":"Within a week."}}]}
            """)!.AsObject());

        // Subscribers: two webhooks confirmed (one that keeps failing), one email left pending.
        await _f.SubscribeWebhookAsync("hooks/ok");
        await _f.SubscribeWebhookAsync("hooks/down");
        (await _f.SubscribeAsync(new { email = "pending@example.org" })).EnsureSuccessStatusCode();
        _f.Receiver.Respond = call => call.Path == "/hooks/down" ? 503 : 200;
        var first = await _f.PublishUpdateAsync("Depots closed.", "انبارها بسته‌اند.");
        await _f.RunTimerAsync();
        foreach (var wait in new[] { 31, 61 })
        {
            _f.Clock.Advance(TimeSpan.FromSeconds(wait));
            await _f.RunTimerAsync();
        }

        var second = await _f.PublishUpdateAsync("Depots reopen Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();

        // FAQ: four reads (three English, one Persian), three votes, two questions of which one is answered.
        foreach (var lang in new[] { "en", "en", "fa" })
        {
            (await _f.Client.GetAsync($"/api/crises/{id}/faq?lang={lang}")).EnsureSuccessStatusCode();
        }

        (await _f.Client.GetAsync($"/api/crises/{id}/faq?lang=en&q=parcel")).EnsureSuccessStatusCode();
        foreach (var helpful in new[] { true, true, false })
        {
            (await _f.Client.PostAsJsonAsync($"/api/crises/{id}/faq/refund/votes", new { helpful })).EnsureSuccessStatusCode();
        }

        await _f.Client.PostAsJsonAsync($"/api/crises/{id}/questions", new { text = "Can I collect my parcel myself?", language = "en" });
        await _f.Client.PostAsJsonAsync($"/api/crises/{id}/questions", new { text = "Is there a | pipe * in here?", language = "en" });
        var questions = await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/questions")).ReadJsonAsync();
        var collect = questions.GetProperty("questions").EnumerateArray().Single(q => q.GetProperty("text").GetString()!.StartsWith("Can I", StringComparison.Ordinal)).GetProperty("id").GetString();
        (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/questions/{collect}/answer", new { faqEntryId = "delivery" })).EnsureSuccessStatusCode();

        // Triage: three messages, tags refund ×2 and delivery ×1; a canned response used twice.
        using var agent = _f.App.CreateAgentClient();
        (await _f.Admin.PutAsync($"/api/admin/crises/{id}/triage-rules", new StringContent("""
            {"rules":[{"tag":"refund","keywords":{"en":["refund"]}},{"tag":"delivery","keywords":{"en":["parcel"]}}]}
            """, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        foreach (var message in new[] { "refund please", "where is my parcel", "refund or parcel?" })
        {
            (await agent.PostAsJsonAsync($"/api/agent/crises/{id}/triage", new { text = message })).EnsureSuccessStatusCode();
        }

        var response = await CannedResponseFixtures.CreateApprovedAsync(_f.Admin, id, "Refund policy", RefundTag);
        (await agent.GetAsync($"/api/agent/crises/{id}/canned-responses/{response}")).EnsureSuccessStatusCode();
        (await agent.GetAsync($"/api/agent/crises/{id}/canned-responses/{response}")).EnsureSuccessStatusCode();

        // A stakeholder answers one owed update on time; another falls due only after the crisis ended.
        var owner = (await (await _f.Admin.PostAsJsonAsync("/api/admin/stakeholders", new { name = "Olivia", role = "expert", language = "en", timeZone = "UTC", webhookUrl = _f.Receiver.Url("stake/olivia") })).ReadJsonAsync()).GetProperty("id").GetString();
        await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/expected-updates", new { ownerId = owner, topic = "Depots", dueAt = _f.Clock.Now });
        await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/expected-updates", new { ownerId = owner, topic = "Refunds", dueAt = _f.Clock.Now.AddMinutes(20) });
        await _f.Client.RunTimerAsync("Reminders");
        var reminder = _f.DeliveredTo("stake/olivia").Single();
        (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(reminder) })).EnsureSuccessStatusCode();

        // A touchpoint overridden by the crisis, restored by the expiry timer after the crisis ends.
        await _f.Admin.PutAsJsonAsync("/api/admin/touchpoints/web-banner", new { kind = "website-banner", name = "Banner", defaultLanguage = "en", normal = new { en = "Welcome." } });
        await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{id}/touchpoints/web-banner", new { text = new { en = "Depots closed: see our crisis page." } });
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{id}/end");
        _f.Clock.Advance(TimeSpan.FromHours(2));
        await _f.Client.RunTimerAsync("CrisisExpiry");

        var review = await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/review")).ReadJsonAsync();

        Assert.Equal("archived", review.GetProperty("status").GetString());
        var events = review.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Contains("crisis.create", events);
        Assert.Contains("crisis.activate", events);
        Assert.Equal(2, events.Count(e => e == "update.publish"));
        Assert.Contains("touchpoint.restore", events);
        Assert.True(events.IndexOf("crisis.activate") < events.IndexOf("crisis.end") && events.IndexOf("crisis.end") < events.IndexOf("crisis.archive"), string.Join(", ", events));

        Assert.Contains("expected-update.remind", events);
        Assert.Contains("expected-update.acknowledge", events);

        var subscribers = review.GetProperty("subscribers");
        Assert.Equal(
            (3, 2, 0, 0),
            (subscribers.GetProperty("subscribed").GetInt32(), subscribers.GetProperty("confirmed").GetInt32(),
             subscribers.GetProperty("unsubscribed").GetInt32(), subscribers.GetProperty("erased").GetInt32()));

        var notifications = review.GetProperty("notifications");
        Assert.Equal(2, notifications.GetProperty("sent").GetInt32());
        Assert.Equal(1, notifications.GetProperty("quarantined").GetInt32());
        Assert.Equal(0, notifications.GetProperty("pending").GetInt32());
        var byUpdate = notifications.GetProperty("byUpdate").EnumerateArray().ToDictionary(u => u.GetProperty("updateId").GetString()!);
        Assert.Equal(1, byUpdate[first].GetProperty("quarantined").GetInt32());
        Assert.Equal(1, byUpdate[second].GetProperty("sent").GetInt32());

        var faq = review.GetProperty("faq");
        Assert.Equal(4, faq.GetProperty("views").GetInt64());
        Assert.Equal(3, faq.GetProperty("viewsByLanguage").GetProperty("en").GetInt64());
        var refund = faq.GetProperty("entries")[0];
        Assert.Equal(("refund", 2, 1), (refund.GetProperty("entryId").GetString(), refund.GetProperty("helpful").GetInt32(), refund.GetProperty("notHelpful").GetInt32()));
        Assert.Equal("Is there a | pipe * in here?", Assert.Single(review.GetProperty("unansweredQuestions").EnumerateArray()).GetProperty("text").GetString());

        var tags = review.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("tag").GetString()!, t => t.GetProperty("count").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["refund"] = 2, ["delivery"] = 2 }, tags);
        var usage = Assert.Single(review.GetProperty("cannedResponses").EnumerateArray());
        Assert.Equal(("archived", 2), (usage.GetProperty("status").GetString(), usage.GetProperty("uses").GetInt32()));

        var olivia = Assert.Single(review.GetProperty("reminders").EnumerateArray());
        Assert.Equal(("Olivia", 1, 0), (olivia.GetProperty("name").GetString(), olivia.GetProperty("onTime").GetInt32(), olivia.GetProperty("missed").GetInt32()));
        var banner = Assert.Single(review.GetProperty("touchpoints").EnumerateArray());
        Assert.True(banner.GetProperty("restored").GetBoolean());
        Assert.Equal("expiry-timer", banner.GetProperty("restoredBy").GetString());

        var markdown = await _f.Admin.GetAsync($"/api/admin/crises/{id}/review.md");
        Assert.Equal("text/markdown", markdown.Content.Headers.ContentType!.MediaType);
        var text = await markdown.Content.ReadAsStringAsync();
        Assert.StartsWith("# Post-crisis review: Network outage", text, StringComparison.Ordinal);
        Assert.Contains("| refund | 2 |", text, StringComparison.Ordinal);
        Assert.Contains("| Olivia | 1 | 0 | 0 | 0 | 0 |", text, StringComparison.Ordinal);
        Assert.Contains("Is there a \\| pipe \\* in here?", text, StringComparison.Ordinal);
        Assert.Contains("| Total |  | 2 | 0 | 1 | 0 | 0 |", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _f.Admin.GetAsync("/api/admin/crises/no-such-crisis/review")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync($"/api/admin/crises/{id}/review")).StatusCode);
    }
}
