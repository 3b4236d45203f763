using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>
/// An instance upgraded from the single outbox table: what that table held (written here as the earlier version wrote
/// it) is moved into the shards' tables before the outbox is used, nothing sent twice, nothing left for erasure to miss.
/// </summary>
public sealed class LegacyOutboxTests : IAsyncLifetime
{
    private SubscriptionFixture _before = null!;

    public async Task InitializeAsync() => _before = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await _before.DisposeAsync();

    [Fact]
    public async Task After_an_upgrade_a_legacy_pending_message_is_sent_once_and_erasing_a_subscriber_removes_its_legacy_records_from_every_shard()
    {
        var subscriber = (await _before.SubscribeWebhookAsync("hooks/old")).GetProperty("subscription").GetProperty("id").GetString()!;
        var legacy = await LegacyTableAsync();
        var now = _before.Clock.GetUtcNow();
        var sent = KeyOutsideTheShardOf(subscriber, "confirm|{0}|a");
        var unindexed = KeyOutsideTheShardOf(subscriber, "confirm|{0}|b");
        var waiting = KeyOutsideTheShardOf(subscriber, "confirm|{0}|c");
        await WriteAsync(legacy, sent,
            new TableEntity("", "r|" + sent) { ["Key"] = sent, ["Recipient"] = subscriber, ["Status"] = "sent", ["Attempts"] = 1, ["Channel"] = "Webhook", ["CompletedAt"] = now },
            new TableEntity("", $"x|{subscriber}|{sent}") { ["Listed"] = false });
        await WriteAsync(legacy, unindexed,
            new TableEntity("", "r|" + unindexed) { ["Key"] = unindexed, ["Recipient"] = subscriber, ["Status"] = "sent", ["Attempts"] = 1, ["Channel"] = "Webhook", ["CompletedAt"] = now });
        await WriteAsync(legacy, waiting,
            new TableEntity("", "r|" + waiting) { ["Key"] = waiting, ["Recipient"] = subscriber, ["Status"] = "queued", ["QueuedAt"] = now },
            new TableEntity("", "p|" + waiting) { ["Key"] = waiting, ["Kind"] = ConfirmationMessages.KindName, ["Ref"] = subscriber, ["Recipient"] = subscriber, ["Status"] = "queued", ["Attempts"] = 0, ["NextAttemptAt"] = now },
            new TableEntity("", $"x|{subscriber}|{waiting}") { ["Listed"] = false });
        // Queued by a fan-out of the legacy version: a pending marker alone, neither record nor index row.
        var fannedOut = KeyOutsideTheShardOf(subscriber, "confirm|{0}|e");
        await WriteAsync(legacy, fannedOut,
            new TableEntity("", "p|" + fannedOut) { ["Key"] = fannedOut, ["Kind"] = ConfirmationMessages.KindName, ["Ref"] = subscriber, ["Recipient"] = subscriber, ["Status"] = "queued", ["Attempts"] = 0, ["NextAttemptAt"] = now });
        var aside = KeyOutsideTheShardOf(subscriber, "confirm|{0}|d");
        await WriteAsync(legacy, aside,
            new TableEntity("", "r|" + aside) { ["Key"] = aside, ["Recipient"] = subscriber, ["Status"] = "set-aside", ["Attempts"] = 1, ["CompletedAt"] = now },
            new TableEntity("", "s|" + aside) { ["Key"] = aside, ["Kind"] = ConfirmationMessages.KindName, ["Attempts"] = 1, ["Reason"] = "Rendering failed: a corrupted document", ["SetAsideAt"] = now });
        await WriteNoticeAsync(legacy, "legacy-notice|1|webhook", "hooks/legacy");

        await using var upgraded = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Storage:NamePrefix"] = _before.App.NamePrefix });
        var listed = await (await upgraded.Admin.GetAsync("/api/admin/outbox/set-aside")).ReadJsonAsync();
        Assert.Equal(aside, Assert.Single(listed.GetProperty("messages").EnumerateArray()).GetProperty("key").GetString());

        // Moved: every row of the subscriber's messages is in the subscriber's shard, with an index row for each message.
        var storage = upgraded.App.Services.GetRequiredService<CrisisStorage>();
        Assert.Null(await storage.ExistingTableAsync(Outbox.LegacyTableName));
        var home = await storage.TableAsync(Outbox.TableName(Outbox.ShardOf(subscriber)));
        var partition = Outbox.ShardName(Outbox.ShardOf(subscriber));
        string[] moved =
        [
            "r|" + sent, "r|" + unindexed, "r|" + waiting, "p|" + waiting, "p|" + fannedOut, "r|" + aside, "s|" + aside,
            $"x|{subscriber}|{sent}", $"x|{subscriber}|{unindexed}", $"x|{subscriber}|{waiting}", $"x|{subscriber}|{fannedOut}",
        ];
        foreach (var row in moved)
        {
            Assert.NotNull(await home.FindAsync(partition, row));
        }

        Assert.True((await home.FindAsync(partition, $"x|{subscriber}|{aside}"))?.GetBoolean("Listed"));

        // A message sent before the upgrade is still recognised when it is queued again (as a repeated answer or reminder would be).
        Assert.False(await upgraded.App.Services.GetRequiredService<Outbox>().EnqueueAsync(new DeferredMessage(sent, ConfirmationMessages.KindName, subscriber, subscriber), CancellationToken.None));

        var manage = SubscriptionFixture.PathOf(upgraded.App.Services.GetRequiredService<SubscriptionLinks>().Manage(subscriber));
        var erased = await (await upgraded.Client.DeleteAsync(manage)).ReadJsonAsync();

        // The confirmation it was sent through this app, and the five legacy messages: two records, a record with its pending message, a pending message alone, a record with its listing.
        Assert.Equal(8, erased.GetProperty("deliveryRecords").GetInt32());
        Assert.Empty((await (await upgraded.Admin.GetAsync("/api/admin/outbox/set-aside")).ReadJsonAsync()).GetProperty("messages").EnumerateArray());
        Assert.DoesNotContain(subscriber, await StorageDump.TextAsync(upgraded.App), StringComparison.Ordinal);
        await upgraded.RunTimerAsync();
        await upgraded.RunTimerAsync();
        var delivered = Assert.Single(_before.DeliveredTo("hooks/legacy"));
        Assert.Equal("legacy.notice", SubscriptionFixture.Type(delivered));
        Assert.Single(_before.DeliveredTo("hooks/old"), d => SubscriptionFixture.Type(d) == "subscription.confirm");
    }

    [Fact]
    public async Task While_another_instance_holds_the_move_the_outbox_answers_unavailable_and_once_its_lease_expires_this_instance_finishes_the_move_and_sends_once()
    {
        var legacy = await LegacyTableAsync();
        await legacy.AddEntityAsync(new TableEntity("move", "lease") { ["HeldBy"] = "another-instance", ["HeldAt"] = _before.Clock.GetUtcNow() });
        const string notice = "legacy-notice|2|webhook";
        await WriteNoticeAsync(legacy, notice, "hooks/held");

        // The other instance had copied the notice's marker into its shard's table before it stopped, and deleted nothing yet.
        var storage = _before.App.Services.GetRequiredService<CrisisStorage>();
        var copied = await legacy.GetEntityAsync<TableEntity>(Outbox.ShardName(Outbox.ShardOf(notice)), "p|" + notice);
        await (await storage.TableAsync(Outbox.TableName(Outbox.ShardOf(notice)))).AddEntityAsync(new TableEntity(copied.Value.Where(p => p.Key is not ("odata.etag" or "Timestamp")).ToDictionary()));

        await using var upgraded = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Storage:NamePrefix"] = _before.App.NamePrefix });
        var held = await upgraded.Client.RunTimerAsync("Notifications");

        Assert.False(held.Succeeded);
        Assert.Contains("being moved out of its legacy table", held.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(_before.DeliveredTo("hooks/held"));
        Assert.NotNull(await upgraded.App.Services.GetRequiredService<CrisisStorage>().ExistingTableAsync(Outbox.LegacyTableName));

        upgraded.Clock.Advance(LegacyOutbox.LeaseTimeout + TimeSpan.FromSeconds(1));
        await upgraded.RunTimerAsync();

        Assert.Single(_before.DeliveredTo("hooks/held"));
        Assert.Null(await upgraded.App.Services.GetRequiredService<CrisisStorage>().ExistingTableAsync(Outbox.LegacyTableName));
    }

    private async Task<TableClient> LegacyTableAsync()
    {
        var storage = _before.App.Services.GetRequiredService<CrisisStorage>();
        var table = storage.TableService.GetTableClient(storage.TableName(Outbox.LegacyTableName));
        await table.CreateIfNotExistsAsync();
        return table;
    }

    /// <summary>A message key (from <paramref name="pattern"/> and a counter) whose legacy shard, chosen by the key, is not the subscriber's.</summary>
    private static string KeyOutsideTheShardOf(string subscriber, string pattern)
    {
        for (var i = 0; ; i++)
        {
            var key = string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, subscriber) + i;
            if (Outbox.ShardOf(key) != Outbox.ShardOf(subscriber))
            {
                return key;
            }
        }
    }

    /// <summary>A queued webhook notice without a recipient (as the source of truth's are) to the receiver's <paramref name="path"/>, written as the legacy outbox held it.</summary>
    private async Task WriteNoticeAsync(TableClient legacy, string key, string path)
    {
        var now = _before.Clock.GetUtcNow();
        var message = new OutboxMessage(key, "legacy", OutboxChannel.Webhook, _before.Receiver.Url(path), "Notice", "Depots reopen on Monday.", "<p>Depots reopen on Monday.</p>", "{\"type\":\"legacy.notice\"}");
        await WriteAsync(legacy, key,
            new TableEntity("", "r|" + key) { ["Key"] = key, ["Source"] = "legacy", ["Channel"] = "Webhook", ["Status"] = "queued", ["QueuedAt"] = now },
            new TableEntity("", "p|" + key) { ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options), ["Status"] = "queued", ["Attempts"] = 0, ["NextAttemptAt"] = now });
    }

    /// <summary>Writes a message's rows into the legacy table, in the shard its key chose, as the single-table outbox did.</summary>
    private static async Task WriteAsync(TableClient legacy, string key, params TableEntity[] rows)
    {
        foreach (var row in rows)
        {
            row.PartitionKey = Outbox.ShardName(Outbox.ShardOf(key));
            await legacy.AddEntityAsync(row);
        }
    }
}
