using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

public class ReminderTests : IAsyncLifetime
{
    private ReminderFixture _f = null!;

    public async Task InitializeAsync() => _f = await ReminderFixture.StartAsync();

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    [Fact]
    public async Task An_update_that_falls_due_reminds_its_owner_once_with_a_signed_message()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.ExpectAsync(owner, TimeSpan.FromMinutes(10));

        Assert.True((await _f.RunTimerAsync()).Succeeded);
        Assert.Empty(_f.DeliveredTo("olivia"));

        _f.Clock.Advance(TimeSpan.FromMinutes(11));
        var run = await _f.RunTimerAsync();
        Assert.Contains(run.Logs, log => log.Contains("1 sent", StringComparison.Ordinal));
        await _f.RunTimerAsync();

        var reminder = Assert.Single(_f.DeliveredTo("olivia"));
        Assert.True(reminder.SignatureValid);
        var body = JsonDocument.Parse(reminder.Body).RootElement;
        Assert.Equal("update.due", body.GetProperty("type").GetString());
        Assert.Equal("Shipping status", body.GetProperty("topic").GetString());
        var local = body.GetProperty("dueAtLocal").GetString();
        Assert.StartsWith("Monday, November 23, 2026 at 9:10", local, StringComparison.Ordinal);
        Assert.EndsWith("(Europe/London, UTC+00:00)", local, StringComparison.Ordinal);
        Assert.Contains("/api/stakeholder-actions?token=", body.GetProperty("actionUrl").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Past_the_grace_period_the_decision_makers_hear_once()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.AddStakeholderAsync("dana", "decision-maker");
        await _f.AddStakeholderAsync("dev", "decision-maker");
        await _f.AddStakeholderAsync("carl", "communicator");
        await _f.ExpectAsync(owner, TimeSpan.Zero, grace: "00:30:00");

        await _f.RunTimerAsync();
        Assert.Single(_f.DeliveredTo("olivia"));
        Assert.Empty(_f.DeliveredTo("dana"));

        _f.Clock.Advance(TimeSpan.FromMinutes(31));
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var escalation = Assert.Single(_f.DeliveredTo("dana"));
        Assert.Single(_f.DeliveredTo("dev"));
        Assert.Empty(_f.DeliveredTo("carl"));
        Assert.Single(_f.DeliveredTo("olivia"));
        Assert.Equal("update.overdue", JsonDocument.Parse(escalation.Body).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Acknowledging_stops_the_escalation()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.AddStakeholderAsync("dana", "decision-maker");
        await _f.ExpectAsync(owner, TimeSpan.Zero);
        await _f.RunTimerAsync();
        var token = ReminderFixture.ActionToken(_f.DeliveredTo("olivia").Single());

        var summary = await (await _f.Client.GetAsync($"/api/stakeholder-actions?token={Uri.EscapeDataString(token)}")).ReadJsonAsync();
        Assert.False(summary.GetProperty("answered").GetBoolean());
        var ack = await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token, note = "Carrier call at 10" });
        Assert.Equal("acknowledged", (await ack.ReadJsonAsync()).GetProperty("status").GetString());

        _f.Clock.Advance(TimeSpan.FromHours(2));
        await _f.RunTimerAsync();
        Assert.Empty(_f.DeliveredTo("dana"));
    }

    [Fact]
    public async Task Posting_the_update_stops_the_escalation_and_lands_as_a_draft_unless_the_owner_may_publish()
    {
        var drafter = await _f.AddStakeholderAsync("olivia", "expert");
        var publisher = await _f.AddStakeholderAsync("paul", "communicator", canPublish: true);
        await _f.AddStakeholderAsync("dana", "decision-maker");
        await _f.ExpectAsync(drafter, TimeSpan.Zero);
        await _f.ExpectAsync(publisher, TimeSpan.Zero);
        await _f.RunTimerAsync();

        var drafted = await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update",
            new { token = ReminderFixture.ActionToken(_f.DeliveredTo("olivia").Single()), text = new { en = "Depot reopens at noon." } })).ReadJsonAsync();
        var published = await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update",
            new { token = ReminderFixture.ActionToken(_f.DeliveredTo("paul").Single()), text = new { en = "Carriers resume tomorrow." } })).ReadJsonAsync();

        Assert.False(drafted.GetProperty("published").GetBoolean());
        Assert.True(published.GetProperty("published").GetBoolean());
        var updates = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates")).ReadJsonAsync();
        Assert.Contains(updates.GetProperty("updates").EnumerateArray(), u => u.GetProperty("text").GetProperty("en").GetString() == "Depot reopens at noon." && u.GetProperty("publishedAt").ValueKind == JsonValueKind.Null);
        var page = await (await _f.Client.GetAsync($"/api/crises/{_f.CrisisId}")).ReadJsonAsync();
        Assert.Equal("Carriers resume tomorrow.", page.GetProperty("updates")[0].GetProperty("text").GetString());

        _f.Clock.Advance(TimeSpan.FromHours(2));
        await _f.RunTimerAsync();
        Assert.Empty(_f.DeliveredTo("dana"));
    }

    [Fact]
    public async Task A_recurring_update_rolls_to_its_next_occurrence_once_answered()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        var id = await _f.ExpectAsync(owner, TimeSpan.Zero, cadence: "04:00:00");
        await _f.RunTimerAsync();
        var ack = await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(_f.DeliveredTo("olivia").Single()) })).ReadJsonAsync();
        Assert.Equal(ReminderFixture.Start.AddHours(4), ack.GetProperty("nextDueAt").GetDateTimeOffset());

        _f.Clock.Advance(TimeSpan.FromHours(3));
        await _f.RunTimerAsync();
        Assert.Single(_f.DeliveredTo("olivia"));

        _f.Clock.Advance(TimeSpan.FromHours(1));
        await _f.RunTimerAsync();
        var reminders = _f.DeliveredTo("olivia");
        Assert.Equal(2, reminders.Count);
        Assert.Equal(2, JsonDocument.Parse(reminders[1].Body).RootElement.GetProperty("occurrence").GetInt32());

        var page = await (await _f.Client.GetAsync($"/api/crises/{_f.CrisisId}")).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextUpdateExpectedAt").ValueKind);
        var list = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/expected-updates")).ReadJsonAsync();
        Assert.Equal(id, list.GetProperty("expectedUpdates")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Replayed_and_past_due_invocations_send_nothing_twice()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.AddStakeholderAsync("dana", "decision-maker");
        await _f.ExpectAsync(owner, TimeSpan.Zero);

        for (var i = 0; i < 3; i++)
        {
            await _f.RunTimerAsync(pastDue: i == 1);
        }

        _f.Clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 3; i++)
        {
            await _f.RunTimerAsync(pastDue: i == 2);
        }

        Assert.Single(_f.DeliveredTo("olivia"));
        Assert.Single(_f.DeliveredTo("dana"));
        Assert.Equal(2, _f.Receiver.Received.Count);
    }

    [Fact]
    public async Task Two_instances_running_the_timer_at_once_send_each_reminder_exactly_once()
    {
        await using var second = new CrisisAppFactory((await TestAzurite.GetAsync()).ConnectionString, new Dictionary<string, string?> { ["Storage:NamePrefix"] = _f.App.NamePrefix }, _f.Clock);
        using var secondClient = second.CreateClient();
        var names = Enumerable.Range(0, 12).Select(i => $"owner{i}").ToList();
        foreach (var name in names)
        {
            await _f.ExpectAsync(await _f.AddStakeholderAsync(name, "expert"), TimeSpan.Zero);
        }

        await Task.WhenAll(
            _f.RunTimerAsync(), _f.RunTimerAsync(client: secondClient),
            _f.RunTimerAsync(), _f.RunTimerAsync(client: secondClient));
        await _f.RunTimerAsync();

        Assert.All(names, name => Assert.Single(_f.DeliveredTo(name)));
        Assert.Equal(names.Count, _f.Receiver.Received.Count);
    }

    [Fact]
    public async Task A_run_killed_midway_is_finished_by_the_next_run_without_duplicates()
    {
        var names = Enumerable.Range(0, 10).Select(i => $"owner{i}").ToList();
        foreach (var name in names)
        {
            await _f.ExpectAsync(await _f.AddStakeholderAsync(name, "expert"), TimeSpan.Zero);
        }

        using var kill = new CancellationTokenSource();
        _f.Receiver.Respond = call =>
        {
            if (_f.Receiver.Received.Count == 3)
            {
                kill.Cancel();
            }

            return 200;
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _f.RunTimerAsync(cancellationToken: kill.Token));
        var afterKill = _f.Receiver.Received.Count;
        Assert.InRange(afterKill, 3, names.Count - 1);

        _f.Receiver.Respond = _ => 200;
        _f.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.True((await _f.RunTimerAsync()).Succeeded);

        Assert.All(names, name => Assert.Single(_f.DeliveredTo(name)));
        Assert.Equal(names.Count, _f.Receiver.Received.Count);
    }

    [Fact]
    public async Task A_receiver_that_fails_gets_the_message_again_later_until_it_answers()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.ExpectAsync(owner, TimeSpan.Zero);
        _f.Receiver.Respond = _ => 503;
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();
        Assert.Single(_f.Receiver.Received);

        _f.Receiver.Respond = _ => 200;
        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        await _f.RunTimerAsync();

        Assert.Equal(2, _f.Receiver.Received.Count);
        Assert.Single(_f.DeliveredTo("olivia"));
        Assert.Equal(_f.Receiver.Received[0].Id, _f.Receiver.Received[1].Id);
    }

    [Fact]
    public async Task Tampered_foreign_expired_and_replayed_links_are_refused_and_change_nothing()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.AddStakeholderAsync("dana", "decision-maker");
        await _f.ExpectAsync(owner, TimeSpan.Zero);
        await _f.RunTimerAsync();
        var token = ReminderFixture.ActionToken(_f.DeliveredTo("olivia").Single());

        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = tampered })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        var parts = token.Split('.');
        var otherPayload = Crisis.Functions.Common.Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(new { Purpose = "stakeholder-action", Subject = "x|y|1|z", ExpiresAt = DateTimeOffset.MaxValue }));
        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = $"{parts[0]}.{otherPayload}.{parts[2]}" })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = "not-a-token" })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.GetAsync("/api/stakeholder-actions")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);

        var later = new ManualTimeProvider(_f.Clock.Now + Crisis.Functions.Stakeholders.ReminderTimer.ActionLinkLifetime + TimeSpan.FromMinutes(1));
        await using var future = new CrisisAppFactory((await TestAzurite.GetAsync()).ConnectionString, new Dictionary<string, string?> { ["Storage:NamePrefix"] = _f.App.NamePrefix }, later);
        using var futureClient = future.CreateClient();
        await (await futureClient.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token })).AssertProblemAsync(HttpStatusCode.Gone, Problems.TokenExpired);

        // Still unanswered: the escalation goes out.
        _f.Clock.Advance(TimeSpan.FromHours(1));
        await _f.RunTimerAsync();
        Assert.Single(_f.DeliveredTo("dana"));

        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token })).ReadJsonAsync();
        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update", new { token, text = new { en = "late" } })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        Assert.Empty((await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates")).ReadJsonAsync()).GetProperty("updates").EnumerateArray());
    }

    [Fact]
    public async Task Admin_views_show_due_and_overdue_updates_and_each_stakeholders_record()
    {
        var prompt = await _f.AddStakeholderAsync("olivia", "expert");
        var slow = await _f.AddStakeholderAsync("sam", "expert");
        var silent = await _f.AddStakeholderAsync("quinn", "expert");
        await _f.ExpectAsync(prompt, TimeSpan.Zero);
        await _f.ExpectAsync(slow, TimeSpan.Zero);
        await _f.ExpectAsync(silent, TimeSpan.Zero);
        await _f.ExpectAsync(prompt, TimeSpan.FromDays(1));
        await _f.RunTimerAsync();

        var due = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/expected-updates/due")).ReadJsonAsync();
        Assert.Equal(3, due.GetProperty("due").GetArrayLength());
        Assert.Equal(1, due.GetProperty("upcoming").GetArrayLength());
        Assert.NotEqual(JsonValueKind.Null, due.GetProperty("due")[0].GetProperty("remindedAt").ValueKind);

        await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(_f.DeliveredTo("olivia").Single()) });
        _f.Clock.Advance(TimeSpan.FromHours(1));
        await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(_f.DeliveredTo("sam").Single()) });

        var overdue = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/expected-updates/due")).ReadJsonAsync();
        Assert.Equal(silent, Assert.Single(overdue.GetProperty("overdue").EnumerateArray()).GetProperty("ownerId").GetString());

        var record = async (string id) => await (await _f.Admin.GetAsync($"/api/admin/stakeholders/{id}/record")).ReadJsonAsync();
        Assert.Equal(1, (await record(prompt)).GetProperty("onTime").GetInt32());
        Assert.Equal(1, (await record(slow)).GetProperty("late").GetInt32());
        Assert.Equal(1, (await record(silent)).GetProperty("overdue").GetInt32());

        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{_f.CrisisId}/end");
        Assert.Equal(1, (await record(silent)).GetProperty("missed").GetInt32());
    }
}
