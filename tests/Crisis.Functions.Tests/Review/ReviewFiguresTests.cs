using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;
using Crisis.Functions.Tests.Subscriptions;

namespace Crisis.Functions.Tests.Review;

/// <summary>One app (hand-moved clock, webhook receiver) for the review figures' tests; each test makes its own crisis.</summary>
public sealed class ReviewFiguresFixture : IAsyncLifetime
{
    public SubscriptionFixture App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class ReviewFiguresTests(ReviewFiguresFixture fixture) : IClassFixture<ReviewFiguresFixture>
{
    private readonly SubscriptionFixture _f = fixture.App;

    [Fact]
    public async Task Erasing_a_recipient_does_not_lower_the_sent_count_of_the_updates_they_were_sent()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var links = new List<JsonElement>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            links.Add(await SubscribeAndConfirmAsync($"{id}/{name}", id));
        }

        var update = await PublishAsync(id, "Depots closed.");
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();
        Assert.Equal(3, Sent(await ReviewAsync(id), update));

        var erased = await _f.Client.DeleteAsync(Manage(links[0]));
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.True((await erased.ReadJsonAsync()).GetProperty("deliveryRecords").GetInt32() > 0);

        var review = await ReviewAsync(id);
        Assert.Equal(3, Sent(review, update));
        Assert.Equal(3, review.GetProperty("notifications").GetProperty("sent").GetInt32());
        Assert.Equal(0, review.GetProperty("notifications").GetProperty("pending").GetInt32());
        Assert.Contains("| Total |  | 3 | 0 | 0 | 0 | 0 |", await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/review.md")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var status = await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/updates/{update}/notifications")).ReadJsonAsync();
        Assert.Equal((3, 0), (status.GetProperty("sent").GetInt32(), status.GetProperty("queued").GetInt32()));
    }

    [Fact]
    public async Task Subscriber_figures_count_what_subscribers_did_while_the_crisis_was_live_not_who_is_subscribed_at_review_time()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var a = await SubscribeAndConfirmAsync($"{id}/a", id);
        var b = await SubscribeAndConfirmAsync($"{id}/b", id);
        var c = await SubscribeAndConfirmAsync($"{id}/c", id);
        (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url($"{id}/pending"), language = "en", scope = id })).EnsureSuccessStatusCode();
        var everything = await SubscribeAndConfirmAsync($"{id}/all", scope: null);

        // Each once, then again: a repeated request changes nothing and counts nothing.
        Assert.Equal(HttpStatusCode.OK, (await UnsubscribeAsync(b)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await UnsubscribeAsync(b)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.DeleteAsync(Manage(c))).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.DeleteAsync(Manage(c))).StatusCode);

        // After the end: none of this happened while the crisis was live.
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{id}/end");
        await SubscribeAndConfirmAsync($"{id}/late", id);
        Assert.Equal(HttpStatusCode.OK, (await UnsubscribeAsync(a)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.DeleteAsync(Manage(everything))).StatusCode);

        var subscribers = (await ReviewAsync(id)).GetProperty("subscribers");
        Assert.Equal(
            (5, 4, 1, 1),
            (subscribers.GetProperty("subscribed").GetInt32(), subscribers.GetProperty("confirmed").GetInt32(),
             subscribers.GetProperty("unsubscribed").GetInt32(), subscribers.GetProperty("erased").GetInt32()));
        Assert.Contains("| 5 | 4 | 1 | 1 |", await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/review.md")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivery_that_succeeds_on_a_retry_counts_once_as_sent()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var path = $"{id}/flaky";
        await SubscribeAndConfirmAsync(path, id);
        var failures = 2;
        _f.Receiver.Respond = call => call.Path == "/" + path && Interlocked.Decrement(ref failures) >= 0 ? 503 : 200;
        try
        {
            var update = await PublishAsync(id, "Depots closed.");
            await _f.RunTimerAsync();
            foreach (var wait in new[] { 31, 61, 121 })
            {
                _f.Clock.Advance(TimeSpan.FromSeconds(wait));
                await _f.RunTimerAsync();
            }

            Assert.Equal(3, _f.Receiver.Received.Count(r => r.Path == "/" + path && SubscriptionFixture.Type(r) != "subscription.confirm"));
            var byUpdate = (await ReviewAsync(id)).GetProperty("notifications").GetProperty("byUpdate").EnumerateArray().Single(u => u.GetProperty("updateId").GetString() == update);
            Assert.Equal((1, 0, 0), (byUpdate.GetProperty("sent").GetInt32(), byUpdate.GetProperty("failed").GetInt32(), byUpdate.GetProperty("pending").GetInt32()));
        }
        finally
        {
            _f.Receiver.Respond = _ => 200;
        }
    }

    [Fact]
    public async Task Counts_stay_exact_when_many_subscribers_confirm_and_many_deliveries_end_at_once()
    {
        const int People = 40;
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var paths = Enumerable.Range(0, People).Select(i => $"{id}/many/{i}").ToList();
        await Task.WhenAll(paths.Select(async path =>
            (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url(path), language = "en", scope = id })).EnsureSuccessStatusCode()));
        await _f.RunTimerAsync();
        await Task.WhenAll(paths.Select(path => _f.ConfirmAsync(SubscriptionFixture.Json(_f.DeliveredTo(path).Single()).GetProperty("confirmUrl").GetString()!)));

        var update = await PublishAsync(id, "Depots closed.");
        await Task.WhenAll(_f.RunTimerAsync(), _f.RunTimerAsync(), _f.RunTimerAsync());
        await _f.RunTimerAsync();

        var review = await ReviewAsync(id);
        Assert.All(paths, path => Assert.Single(_f.DeliveredTo(path), d => SubscriptionFixture.Type(d) != "subscription.confirm"));
        Assert.Equal(People, Sent(review, update));
        var subscribers = review.GetProperty("subscribers");
        Assert.Equal((People, People), (subscribers.GetProperty("subscribed").GetInt32(), subscribers.GetProperty("confirmed").GetInt32()));
    }

    [Fact]
    public async Task An_occurrence_due_after_the_crisis_ended_is_never_counted_as_missed()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var owner = await AddStakeholderAsync($"owner-{id}", "expert");
        await ExpectAsync(id, owner, "Depots", _f.Clock.Now);
        await ExpectAsync(id, owner, "Refunds", _f.Clock.Now.AddMinutes(20));
        await _f.Client.RunTimerAsync("Reminders");
        _f.Clock.Advance(TimeSpan.FromMinutes(5));
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{id}/end");
        _f.Clock.Advance(TimeSpan.FromHours(3));

        var reminders = Assert.Single((await ReviewAsync(id)).GetProperty("reminders").EnumerateArray());
        Assert.Equal(
            (1, 0, 0, 0, 0),
            (reminders.GetProperty("missed").GetInt32(), reminders.GetProperty("open").GetInt32(), reminders.GetProperty("onTime").GetInt32(),
             reminders.GetProperty("late").GetInt32(), reminders.GetProperty("overdue").GetInt32()));
        var record = await (await _f.Admin.GetAsync($"/api/admin/stakeholders/{owner}/record")).ReadJsonAsync();
        Assert.Equal(1, record.GetProperty("missed").GetInt32());
        var occurrence = Assert.Single(record.GetProperty("occurrences").EnumerateArray());
        Assert.Equal(("Depots", "missed"), (occurrence.GetProperty("topic").GetString(), occurrence.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task Reminders_escalations_acknowledgements_and_posted_updates_are_in_the_audit_and_the_review_timeline_once()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var owner = await AddStakeholderAsync($"olivia-{id}", "expert");
        var dana = await AddStakeholderAsync($"dana-{id}", "decision-maker");
        var depots = await ExpectAsync(id, owner, "Depots", _f.Clock.Now, escalateTo: [dana]);
        await _f.Client.RunTimerAsync("Reminders");
        _f.Clock.Advance(TimeSpan.FromMinutes(31));
        await _f.Client.RunTimerAsync("Reminders");
        Assert.Single(_f.DeliveredTo($"dana-{id}"));
        var reminder = Assert.Single(_f.DeliveredTo($"olivia-{id}"));
        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        var eta = _f.Clock.Now.AddHours(1);
        (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(reminder), newEta = eta })).EnsureSuccessStatusCode();

        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        var refunds = await ExpectAsync(id, owner, "Refunds", _f.Clock.Now, escalateTo: [dana]);
        await _f.Client.RunTimerAsync("Reminders");
        var second = _f.DeliveredTo($"olivia-{id}").Single(d => d.Body.Contains("Refunds", StringComparison.Ordinal));
        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update", new { token = ReminderFixture.ActionToken(second), text = new { en = "Refunds go out on Friday." } })).EnsureSuccessStatusCode();
        await _f.Client.RunTimerAsync("Reminders");
        await _f.Client.RunTimerAsync("Reminders");

        var audit = (await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/audit?pageSize=200")).ReadJsonAsync()).GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("action").GetString()!.StartsWith("expected-update.", StringComparison.Ordinal))
            .Select(e => (e.GetProperty("action").GetString(), e.GetProperty("actor").GetString(), e.GetProperty("after").GetString()))
            .Reverse().ToList();
        Assert.Equal(
        [
            ("expected-update.remind", "reminder-timer", $"Depots (expected update {depots}, occurrence 1): reminded olivia-{id}"),
            ("expected-update.escalate", "reminder-timer", $"Depots (expected update {depots}, occurrence 1): escalated to dana-{id}"),
            ("expected-update.acknowledge", $"stakeholder:{owner}", $"Depots (expected update {depots}, occurrence 1); new ETA {eta.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
            ("expected-update.remind", "reminder-timer", $"Refunds (expected update {refunds}, occurrence 1): reminded olivia-{id}"),
            ("expected-update.post", $"stakeholder:{owner}", $"Refunds (expected update {refunds}, occurrence 1)"),
        ], audit);

        var timeline = (await ReviewAsync(id)).GetProperty("timeline").EnumerateArray()
            .Select(e => (e.GetProperty("event").GetString()!, e.GetProperty("actor").GetString()!)).Where(e => e.Item1.StartsWith("expected-update.", StringComparison.Ordinal)).ToList();
        Assert.Equal(audit.Select(e => (e.Item1!, e.Item2!)), timeline);
        var markdown = await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/review.md")).Content.ReadAsStringAsync();
        Assert.Contains($"| expected-update.escalate | reminder-timer | Depots (expected update {depots}, occurrence 1): escalated to dana-{id} |", markdown, StringComparison.Ordinal);
    }

    private async Task<JsonElement> SubscribeAndConfirmAsync(string path, string? scope)
    {
        (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url(path), language = "en", scope })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmation = _f.DeliveredTo(path).Last(d => SubscriptionFixture.Type(d) == "subscription.confirm");
        var confirmed = await _f.ConfirmAsync(SubscriptionFixture.Json(confirmation).GetProperty("confirmUrl").GetString()!);
        Assert.Equal("confirmed", confirmed.GetProperty("status").GetString());
        return confirmed.GetProperty("links");
    }

    private static string Manage(JsonElement links) => SubscriptionFixture.PathOf(links.GetProperty("manage").GetString()!);

    private async Task<HttpResponseMessage> UnsubscribeAsync(JsonElement links) =>
        await _f.Client.PostAsync(SubscriptionFixture.PathOf(links.GetProperty("unsubscribe").GetString()!), new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));

    private async Task<string> PublishAsync(string crisisId, string text)
    {
        var response = await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisisId}/updates", new { text = new Dictionary<string, string> { ["en"] = text }, publish = true });
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> ReviewAsync(string crisisId) => await (await _f.Admin.GetAsync($"/api/admin/crises/{crisisId}/review")).ReadJsonAsync();

    private static int Sent(JsonElement review, string updateId) =>
        review.GetProperty("notifications").GetProperty("byUpdate").EnumerateArray().Single(u => u.GetProperty("updateId").GetString() == updateId).GetProperty("sent").GetInt32();

    private async Task<string> AddStakeholderAsync(string name, string role)
    {
        var created = await _f.Admin.PostAsJsonAsync("/api/admin/stakeholders", new { name, role, language = "en", timeZone = "UTC", webhookUrl = _f.Receiver.Url(name) });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private async Task<string> ExpectAsync(string crisisId, string ownerId, string topic, DateTimeOffset dueAt, string[]? escalateTo = null)
    {
        var created = await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisisId}/expected-updates", new { ownerId, topic, dueAt, gracePeriod = "00:30:00", escalateTo });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }
}
