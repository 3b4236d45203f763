using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>
/// An update to many subscribers is queued in bundles of up to 96 messages per shard: these tests seed more
/// subscribers than one bundle of each shard holds and follow the bundles through sending, retries, listing and
/// erasure, on Azurite through the app.
/// </summary>
public sealed class OutboxBundleTests : IAsyncLifetime
{
    /// <summary>About 110 per shard: two bundles in each.</summary>
    private const int Subscribers = 1_760;

    private SubscriptionFixture _f = null!;
    private List<string> _ids = null!;

    public async Task InitializeAsync()
    {
        _f = await SubscriptionFixture.StartAsync();
        var storage = _f.App.Services.GetRequiredService<CrisisStorage>();
        _ids = await SubscriberSeed.SubscribersAsync(await storage.TableAsync(SubscriberStore.TableName), _f.CrisisId, Subscribers, "Webhook", id => _f.Receiver.Url("hooks/" + id));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task An_update_to_thousands_of_subscribers_reaches_each_once_and_is_listed_page_by_page_with_exactly_the_page_size_asked_for()
    {
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");

        await _f.RunTimerAsync();

        var updates = Updates();
        Assert.Equal(Subscribers, updates.Count);
        Assert.Equal(Subscribers, updates.Select(u => u.Id).Distinct().Count());
        Assert.Equal(_ids.Select(id => "/hooks/" + id).Order(), updates.Select(u => u.Path).Order());
        Assert.All(updates, u => Assert.Equal($"u|{_f.CrisisId}|{updateId}|{u.Path["/hooks/".Length..]}", u.Id));
        var status = await StatusAsync(updateId);
        Assert.Equal(Subscribers, status.GetProperty("sent").GetInt32());
        Assert.Equal(Subscribers, status.GetProperty("recipients").GetInt32());

        var pages = await RecipientPagesAsync(updateId, 37);
        Assert.All(pages[..^1], page => Assert.Equal(37, page.Count));
        Assert.Equal(Subscribers % 37, pages[^1].Count);
        var listed = pages.SelectMany(p => p).ToList();
        Assert.Equal(_ids.Order(), listed.Select(r => r.GetProperty("recipient").GetString()!).Order());
        Assert.All(listed, r =>
        {
            Assert.Equal("sent", r.GetProperty("status").GetString());
            Assert.Equal("webhook", r.GetProperty("channel").GetString());
            Assert.Equal(1, r.GetProperty("attempts").GetInt32());
        });
    }

    [Fact]
    public async Task A_bundled_message_whose_endpoint_fails_is_retried_on_its_own_while_the_rest_of_its_bundle_is_recorded_sent()
    {
        var failing = _ids[7];
        _f.Receiver.Respond = call => call.Path == "/hooks/" + failing ? 503 : 200;
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");

        await _f.RunTimerAsync();

        var status = await StatusAsync(updateId);
        Assert.Equal(Subscribers - 1, status.GetProperty("sent").GetInt32());
        Assert.Equal(1, status.GetProperty("retrying").GetInt32());
        var waiting = Assert.Single((await RecipientPagesAsync(updateId, 1000)).SelectMany(p => p), r => r.GetProperty("status").GetString() != "sent");
        Assert.Equal(failing, waiting.GetProperty("recipient").GetString());
        Assert.Equal("retry", waiting.GetProperty("status").GetString());
        Assert.Equal("HTTP 503", waiting.GetProperty("lastError").GetString());

        _f.Receiver.Respond = _ => 200;
        await _f.RunTimerAsync();
        Assert.Single(_f.Receiver.Received, c => c.Path == "/hooks/" + failing);
        _f.Clock.Advance(TimeSpan.FromSeconds(31));
        await _f.RunTimerAsync();

        var calls = _f.Receiver.Received.Where(c => c.Path == "/hooks/" + failing).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Single(calls.Select(c => c.Id).Distinct());
        Assert.Equal(Subscribers, Updates().Count);
        Assert.Equal(Subscribers + 1, _f.Receiver.Received.Count);
        status = await StatusAsync(updateId);
        Assert.Equal(Subscribers, status.GetProperty("sent").GetInt32());
        Assert.Equal(0, status.GetProperty("retrying").GetInt32());
        var again = Assert.Single((await RecipientPagesAsync(updateId, 1000)).SelectMany(p => p), r => r.GetProperty("recipient").GetString() == failing);
        Assert.Equal(2, again.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Erasing_a_subscriber_whose_update_waits_in_a_bundle_takes_it_out_so_it_is_never_sent_nor_counted_as_pending()
    {
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.App.Services.GetRequiredService<FanoutService>().RunAsync(int.MaxValue, CancellationToken.None);
        var erased = _ids[3];

        // Queued, yet none in the range of pending markers that an instance of the version before bundles reads.
        var storage = _f.App.Services.GetRequiredService<CrisisStorage>();
        Assert.Equal(Subscribers, (await StatusAsync(updateId)).GetProperty("queued").GetInt32());
        for (var shard = 0; shard < Outbox.Shards; shard++)
        {
            Assert.Empty(await (await storage.TableAsync(Outbox.TableName(shard))).QueryAsync<TableEntity>(Tables.RowKeyPrefixFilter(Outbox.ShardName(shard), "p|")).ToListAsync());
        }

        var answer = await EraseAsync(erased);

        Assert.Equal(1, answer.GetProperty("deliveryRecords").GetInt32());
        Assert.DoesNotContain((await RecipientPagesAsync(updateId, 1000)).SelectMany(p => p), r => r.GetProperty("recipient").GetString() == erased);
        await _f.RunTimerAsync();
        Assert.DoesNotContain(Updates(), u => u.Path == "/hooks/" + erased);
        Assert.Equal(Subscribers - 1, Updates().Count);
        var status = await StatusAsync(updateId);
        Assert.Equal(Subscribers - 1, status.GetProperty("sent").GetInt32());
        Assert.Equal(0, status.GetProperty("queued").GetInt32());
        Assert.Equal(0, status.GetProperty("sending").GetInt32());
    }

    [Fact]
    public async Task Erasing_a_subscriber_after_its_update_was_sent_takes_its_delivery_out_of_the_bundle_record_and_keeps_everyone_elses()
    {
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        var erased = _ids[5];

        var answer = await EraseAsync(erased);

        Assert.Equal(1, answer.GetProperty("deliveryRecords").GetInt32());
        var listed = (await RecipientPagesAsync(updateId, 1000)).SelectMany(p => p).ToList();
        Assert.Equal(_ids.Where(id => id != erased).Order(), listed.Select(r => r.GetProperty("recipient").GetString()!).Order());
        Assert.Equal(Subscribers, (await StatusAsync(updateId)).GetProperty("sent").GetInt32());
    }

    [Fact]
    public async Task Erasing_one_subscriber_while_its_bundle_is_being_sent_leaves_the_others_recorded_and_the_erased_one_neither_recorded_nor_pending()
    {
        var shard = SubscriberIds.Shard(_ids[0]);
        // A bundle holds a shard's messages in key order: these two are in its first bundle.
        var firstBundle = _ids.Where(id => SubscriberIds.Shard(id) == shard).Order(StringComparer.Ordinal).Take(Outbox.MaxBatch).ToList();
        var (trigger, erased) = (firstBundle[^1], firstBundle[0]);
        var links = _f.App.Services.GetRequiredService<SubscriptionLinks>();
        using var eraser = _f.App.CreateClient();
        _f.Receiver.Respond = call =>
        {
            if (call.Path == "/hooks/" + trigger)
            {
                // While the bundle is claimed and its messages are going out.
                eraser.DeleteAsync(SubscriptionFixture.PathOf(links.Manage(erased))).GetAwaiter().GetResult().EnsureSuccessStatusCode();
            }

            return 200;
        };
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");

        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var status = await StatusAsync(updateId);
        Assert.Equal(Subscribers - 1, status.GetProperty("sent").GetInt32());
        Assert.Equal(0, status.GetProperty("queued").GetInt32());
        Assert.Equal(0, status.GetProperty("sending").GetInt32());
        var listed = (await RecipientPagesAsync(updateId, 1000)).SelectMany(p => p).ToList();
        Assert.Equal(_ids.Where(id => id != erased).Order(), listed.Select(r => r.GetProperty("recipient").GetString()!).Order());
        Assert.All(_ids.Where(id => id != erased), id => Assert.Single(Updates(), u => u.Path == "/hooks/" + id));
    }

    [Fact]
    public async Task The_totals_of_an_update_whose_messages_all_ended_are_sealed_in_one_row_and_read_from_it_in_the_status_and_the_review()
    {
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        var before = await StatusAsync(updateId);
        Assert.Equal(Subscribers, before.GetProperty("sent").GetInt32());

        // The shards' counters of the update are gone: only the sealed row can answer now.
        var tally = Outbox.RowKeyOf(UpdateNotifications.KeyPrefix(_f.CrisisId, updateId));
        var storage = _f.App.Services.GetRequiredService<CrisisStorage>();
        for (var shard = 0; shard < Outbox.Shards; shard++)
        {
            var table = await storage.TableAsync(Outbox.TableName(shard));
            Assert.True(await table.RemoveAsync(Outbox.ShardName(shard), "n|" + tally));
            Assert.True(await table.RemoveAsync(Outbox.ShardName(shard), "n|" + tally + "queued"));
        }

        var after = await StatusAsync(updateId);
        var review = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/review")).ReadJsonAsync();

        foreach (var name in new[] { "recipients", "sent", "failed", "quarantined", "cancelled", "setAside", "queued", "sending", "retrying" })
        {
            Assert.Equal(before.GetProperty(name).GetInt32(), after.GetProperty(name).GetInt32());
        }

        Assert.Equal(before.GetProperty("startedAt").GetDateTimeOffset(), after.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(Subscribers, review.GetProperty("notifications").GetProperty("sent").GetInt32());
    }

    [Fact]
    public async Task An_update_still_being_queued_is_not_sealed_even_when_everything_queued_so_far_was_sent()
    {
        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        var table = await _f.App.Services.GetRequiredService<Outbox>().ShardTableAsync(0, CancellationToken.None);
        await table.InsertAsync(new TableEntity(Outbox.ShardName(0), $"f|{_f.CrisisId}|{updateId}")
        {
            ["ClaimedBy"] = "dead-worker", ["ClaimedAt"] = _f.Clock.Now, ["Done"] = false, ["Queued"] = 0, ["Last"] = "", ["StartedAt"] = _f.Clock.Now,
        });
        await _f.RunTimerAsync();
        var partway = await StatusAsync(updateId);
        Assert.True(partway.GetProperty("queuing").GetBoolean());
        Assert.Equal(partway.GetProperty("recipients").GetInt32(), partway.GetProperty("sent").GetInt32());
        Assert.InRange(partway.GetProperty("sent").GetInt32(), 1, Subscribers - 1);
        await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/review");

        _f.Clock.Advance(FanoutService.ClaimTimeout + TimeSpan.FromSeconds(1));
        await _f.RunTimerAsync();

        var status = await StatusAsync(updateId);
        Assert.False(status.GetProperty("queuing").GetBoolean());
        Assert.Equal(Subscribers, status.GetProperty("recipients").GetInt32());
        Assert.Equal(Subscribers, status.GetProperty("sent").GetInt32());
        Assert.Equal(Subscribers, Updates().Count);
    }

    /// <summary>The tokens are base64url of "0~p", "99~0~p|x", "0~-1~p|x", "0~0~", "0~0~p|x/" and "0~x~p|x".</summary>
    [Theory]
    [InlineData("MH5w")]
    [InlineData("OTl-MH5wfHg")]
    [InlineData("MH4tMX5wfHg")]
    [InlineData("MH4wfg")]
    [InlineData("MH4wfnB8eC8")]
    [InlineData("MH54fnB8eA")]
    public async Task A_recipient_list_continuation_that_is_well_encoded_but_not_a_position_of_the_list_is_a_400(string token)
    {
        var updateId = await _f.PublishUpdateAsync("One.", "یک.");

        var response = await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients?continuationToken={token}");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }

    private List<ReceivedWebhook> Updates()
    {
        lock (_f.Receiver.Delivered)
        {
            return [.. _f.Receiver.Delivered.Where(d => SubscriptionFixture.Type(d) == "crisis.update")];
        }
    }

    private async Task<JsonElement> StatusAsync(string updateId) =>
        await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications")).ReadJsonAsync();

    private async Task<List<List<JsonElement>>> RecipientPagesAsync(string updateId, int pageSize)
    {
        var pages = new List<List<JsonElement>>();
        string? continuation = null;
        do
        {
            var page = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients?pageSize={pageSize}"
                + (continuation is null ? "" : "&continuationToken=" + Uri.EscapeDataString(continuation)))).ReadJsonAsync();
            pages.Add([.. page.GetProperty("recipients").EnumerateArray()]);
            continuation = page.GetProperty("continuationToken").GetString();
        }
        while (continuation is not null);

        return pages;
    }

    private async Task<JsonElement> EraseAsync(string subscriberId)
    {
        var manage = _f.App.Services.GetRequiredService<SubscriptionLinks>().Manage(subscriberId);
        var response = await _f.Client.DeleteAsync(SubscriptionFixture.PathOf(manage));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }
}
