using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Subscriptions;

public sealed class FanoutTests : IAsyncLifetime
{
    private const int Subscribers = 40;
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Subscriptions:QuarantineAfterFailures"] = "3" });

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task A_fan_out_interrupted_at_any_point_and_one_whose_worker_died_holding_a_claim_still_notifies_everyone_exactly_once()
    {
        await SubscribeManyAsync(Subscribers);
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        var fanout = _f.App.Services.GetRequiredService<FanoutService>();
        var outbox = _f.App.Services.GetRequiredService<Outbox>();

        await HoldAClaimAsDeadWorkerAsync(updateId);
        foreach (var delay in new[] { 0, 2, 5, 10, 20 })
        {
            using var kill = new CancellationTokenSource(TimeSpan.FromMilliseconds(delay));
            await Interrupted(fanout.RunAsync(int.MaxValue, kill.Token));
        }

        await fanout.RunAsync(int.MaxValue, CancellationToken.None);
        Assert.True((await StatusAsync(updateId)).GetProperty("queuing").GetBoolean(), "a claim held by a dead worker blocks its shard until it expires");

        using var stopAfterTen = new CancellationTokenSource();
        var delivered = 0;
        _f.Receiver.Respond = _ =>
        {
            if (Interlocked.Increment(ref delivered) == 10)
            {
                stopAfterTen.Cancel();
            }

            return 200;
        };
        await Interrupted(outbox.DispatchAsync(int.MaxValue, stopAfterTen.Token));
        Assert.InRange(UpdatesReceived().Count, 10, Subscribers - 1);

        _f.Clock.Advance(FanoutService.ClaimTimeout + TimeSpan.FromSeconds(1));
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        AssertEachSubscriberGotOneUpdate(updateId);
        var status = await StatusAsync(updateId);
        Assert.False(status.GetProperty("queuing").GetBoolean());
        Assert.Equal(Subscribers, status.GetProperty("recipients").GetInt32());
        Assert.Equal(Subscribers, status.GetProperty("sent").GetInt32());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("estimatedFinishAt").ValueKind);
    }

    [Fact]
    public async Task Two_instances_fanning_out_and_sending_at_once_notify_everyone_exactly_once()
    {
        await SubscribeManyAsync(Subscribers);
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await using var second = new CrisisAppFactory((await TestAzurite.GetAsync()).ConnectionString, new Dictionary<string, string?>
        {
            ["Storage:NamePrefix"] = _f.App.NamePrefix,
            ["Outbox:SendInBackground"] = "false",
        }, _f.Clock);
        using var other = second.CreateClient();

        for (var round = 0; round < 3; round++)
        {
            var runs = await Task.WhenAll(_f.RunTimerAsync(), _f.RunTimerAsync(other), _f.RunTimerAsync(), _f.RunTimerAsync(other));
            Assert.All(runs, r => Assert.True(r.Succeeded, r.ErrorMessage));
            _f.Clock.Advance(FanoutService.ClaimTimeout + TimeSpan.FromSeconds(1));
        }

        AssertEachSubscriberGotOneUpdate(updateId);
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_is_retried_with_backoff_then_quarantined_reported_and_can_be_reactivated()
    {
        await _f.SubscribeWebhookAsync("hooks/good");
        var bad = (await _f.SubscribeWebhookAsync("hooks/bad")).GetProperty("subscription").GetProperty("id").GetString()!;
        _f.Receiver.Respond = call => call.Path == "/hooks/bad" ? 500 : 200;
        var first = await _f.PublishUpdateAsync("One.", "یک.");

        await _f.RunTimerAsync();
        var status = await StatusAsync(first);
        Assert.Equal(1, status.GetProperty("sent").GetInt32());
        Assert.Equal(1, status.GetProperty("retrying").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("estimatedFinishAt").ValueKind);
        await _f.RunTimerAsync();
        Assert.Single(_f.Receiver.Received, r => r.Path == "/hooks/bad" && SubscriptionFixture.Type(r) == "crisis.update");

        foreach (var wait in new[] { 31, 61, 121 })
        {
            _f.Clock.Advance(TimeSpan.FromSeconds(wait));
            await _f.RunTimerAsync();
        }

        Assert.Equal(3, _f.Receiver.Received.Count(r => r.Path == "/hooks/bad" && SubscriptionFixture.Type(r) == "crisis.update"));
        status = await StatusAsync(first);
        Assert.Equal(1, status.GetProperty("quarantined").GetInt32());
        Assert.Equal(1, status.GetProperty("sent").GetInt32());
        var quarantined = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers?status=quarantined")).ReadJsonAsync();
        var listed = Assert.Single(quarantined.GetProperty("subscribers").EnumerateArray());
        Assert.Equal(bad, listed.GetProperty("id").GetString());
        Assert.Equal("HTTP 500", listed.GetProperty("lastError").GetString());

        await _f.PublishUpdateAsync("Two.", "دو.");
        await _f.RunTimerAsync();
        Assert.Equal(3, _f.Receiver.Received.Count(r => r.Path == "/hooks/bad" && SubscriptionFixture.Type(r) == "crisis.update"));

        await (await _f.Admin.PostAsync($"/api/admin/subscribers/{_f.CrisisId}x/reactivate", null)).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        var reactivated = await (await _f.Admin.PostAsync($"/api/admin/subscribers/{bad}/reactivate", null)).ReadJsonAsync();
        Assert.Equal("confirmed", reactivated.GetProperty("status").GetString());
        await (await _f.Admin.PostAsync($"/api/admin/subscribers/{bad}/reactivate", null)).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        _f.Receiver.Respond = _ => 200;
        await _f.PublishUpdateAsync("Three.", "سه.");
        await _f.RunTimerAsync();
        Assert.Equal("Three.", SubscriptionFixture.Json(_f.DeliveredTo("hooks/bad").Single(d => SubscriptionFixture.Type(d) == "crisis.update")).GetProperty("update").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Admins_list_subscribers_paged_and_masked_count_them_see_each_recipient_and_remove_one()
    {
        (await _f.SubscribeAsync(new { email = "maryam.rahimi@example.org", scope = _f.CrisisId, language = "fa" })).EnsureSuccessStatusCode();
        (await _f.SubscribeAsync(new { phone = "+447700900123" })).EnsureSuccessStatusCode();
        await _f.SubscribeWebhookAsync("hooks/x");
        var updateId = await _f.PublishUpdateAsync("One.", "یک.");
        await _f.RunTimerAsync();

        var ids = new List<string>();
        string? continuation = null;
        do
        {
            var page = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers?pageSize=1" + (continuation is null ? "" : "&continuationToken=" + Uri.EscapeDataString(continuation)))).ReadJsonAsync();
            Assert.True(page.GetProperty("subscribers").GetArrayLength() <= 1);
            ids.AddRange(page.GetProperty("subscribers").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
            continuation = page.GetProperty("continuationToken").GetString();
        }
        while (continuation is not null);
        Assert.Equal(3, ids.Distinct().Count());

        var all = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers")).ReadJsonAsync();
        Assert.DoesNotContain("maryam.rahimi", all.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("7700900123", all.GetRawText(), StringComparison.Ordinal);
        var contacts = all.GetProperty("subscribers").EnumerateArray().Select(s => s.GetProperty("contact").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["+44********23", "http://127.0.0.1/***", "m***@e***.org"], contacts);

        var counts = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers/counts")).ReadJsonAsync();
        Assert.Equal(3, counts.GetProperty("total").GetInt32());
        Assert.Equal(2, counts.GetProperty("byStatus").GetProperty("pending").GetInt32());
        Assert.Equal(1, counts.GetProperty("byChannel").GetProperty("sms").GetInt32());
        Assert.Equal(1, counts.GetProperty("byLanguage").GetProperty("fa").GetInt32());

        var recipients = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients")).ReadJsonAsync();
        var only = Assert.Single(recipients.GetProperty("recipients").EnumerateArray());
        Assert.Equal("sent", only.GetProperty("status").GetString());
        Assert.Equal("webhook", only.GetProperty("channel").GetString());

        var webhookId = (await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers?channel=webhook")).ReadJsonAsync()).GetProperty("subscribers")[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await _f.Admin.DeleteAsync($"/api/admin/subscribers/{webhookId}")).StatusCode);
        await (await _f.Admin.DeleteAsync($"/api/admin/subscribers/{webhookId}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await _f.PublishUpdateAsync("Two.", "دو.");
        await _f.RunTimerAsync();
        Assert.Single(_f.DeliveredTo("hooks/x"), d => SubscriptionFixture.Type(d) == "crisis.update");

        foreach (var bad in new[] { "?status=gone", "?channel=pigeon", "?pageSize=0", "?pageSize=5000", "?continuationToken=zz", "?continuationToken=99~x", "?status=Confirmed%0A" })
        {
            await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers{bad}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        }

        await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients?continuationToken=abc")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await (await _f.Admin.GetAsync("/api/admin/crises/no-such-crisis/subscribers")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/nope/notifications")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        using var agent = _f.App.CreateAgentClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _f.Client.DeleteAsync($"/api/admin/subscribers/{webhookId}")).StatusCode);
    }

    private async Task SubscribeManyAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url($"hooks/n{i}") })).EnsureSuccessStatusCode();
        }

        await _f.RunTimerAsync();
        for (var i = 0; i < count; i++)
        {
            var confirmation = _f.DeliveredTo($"hooks/n{i}").Single();
            Assert.Equal("confirmed", (await _f.ConfirmAsync(SubscriptionFixture.Json(confirmation).GetProperty("confirmUrl").GetString()!)).GetProperty("status").GetString());
        }
    }

    private List<ReceivedWebhook> UpdatesReceived()
    {
        lock (_f.Receiver.Delivered)
        {
            return [.. _f.Receiver.Delivered.Where(d => SubscriptionFixture.Type(d) == "crisis.update")];
        }
    }

    private void AssertEachSubscriberGotOneUpdate(string updateId)
    {
        var updates = UpdatesReceived();
        Assert.Equal(Subscribers, updates.Count);
        Assert.Equal(Subscribers, updates.Select(u => u.Path).Distinct().Count());
        Assert.Equal(Subscribers, updates.Select(u => u.Id).Distinct().Count());
        Assert.All(updates, u => Assert.StartsWith($"u|{_f.CrisisId}|{updateId}|", u.Id, StringComparison.Ordinal));
    }

    private async Task<JsonElement> StatusAsync(string updateId) =>
        await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications")).ReadJsonAsync();

    /// <summary>Leaves shard 0 of the job claimed by a worker that is gone, as a crash mid-run would.</summary>
    private async Task HoldAClaimAsDeadWorkerAsync(string updateId)
    {
        var table = await _f.App.Services.GetRequiredService<Outbox>().ShardTableAsync(0, CancellationToken.None);
        await table.InsertAsync(new TableEntity(Outbox.ShardName(0), $"f|{_f.CrisisId}|{updateId}")
        {
            ["ClaimedBy"] = "dead-worker", ["ClaimedAt"] = _f.Clock.Now, ["Done"] = false, ["Queued"] = 0, ["Last"] = "", ["StartedAt"] = _f.Clock.Now,
        });
    }

    private static async Task Interrupted(Task run)
    {
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
            // The interruption this test is about.
        }
    }
}
