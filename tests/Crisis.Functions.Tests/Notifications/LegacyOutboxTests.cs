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
        const string notice = "legacy-notice|1|webhook";
        var message = new OutboxMessage(notice, "legacy", OutboxChannel.Webhook, _before.Receiver.Url("hooks/legacy"), "Notice", "Depots reopen on Monday.", "<p>Depots reopen on Monday.</p>", "{\"type\":\"legacy.notice\"}");
        await WriteAsync(legacy, notice,
            new TableEntity("", "r|" + notice) { ["Key"] = notice, ["Source"] = "legacy", ["Channel"] = "Webhook", ["Status"] = "queued", ["QueuedAt"] = now },
            new TableEntity("", "p|" + notice) { ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options), ["Status"] = "queued", ["Attempts"] = 0, ["NextAttemptAt"] = now });

        await using var upgraded = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Storage:NamePrefix"] = _before.App.NamePrefix });
        var manage = SubscriptionFixture.PathOf(upgraded.App.Services.GetRequiredService<SubscriptionLinks>().Manage(subscriber));
        var erased = await (await upgraded.Client.DeleteAsync(manage)).ReadJsonAsync();

        // The confirmation it was sent through this app, and the three legacy messages: two records, and one record with its pending message.
        Assert.Equal(5, erased.GetProperty("deliveryRecords").GetInt32());

        var storage = upgraded.App.Services.GetRequiredService<CrisisStorage>();
        Assert.Null(await storage.ExistingTableAsync(Outbox.LegacyTableName));
        Assert.DoesNotContain(subscriber, await StorageDump.TextAsync(upgraded.App), StringComparison.Ordinal);
        await upgraded.RunTimerAsync();
        await upgraded.RunTimerAsync();
        var delivered = Assert.Single(_before.DeliveredTo("hooks/legacy"));
        Assert.Equal("legacy.notice", SubscriptionFixture.Type(delivered));
        Assert.Single(_before.DeliveredTo("hooks/old"), d => SubscriptionFixture.Type(d) == "subscription.confirm");
    }

    [Fact]
    public async Task While_another_instance_holds_the_move_the_outbox_answers_unavailable_and_once_its_lease_expires_this_instance_moves_and_sends()
    {
        var legacy = await LegacyTableAsync();
        await legacy.AddEntityAsync(new TableEntity("move", "lease") { ["HeldBy"] = "another-instance", ["HeldAt"] = _before.Clock.GetUtcNow() });
        const string notice = "legacy-notice|2|webhook";
        var message = new OutboxMessage(notice, "legacy", OutboxChannel.Webhook, _before.Receiver.Url("hooks/held"), "Notice", "Depots reopen on Monday.", "<p>Depots reopen on Monday.</p>", "{\"type\":\"legacy.notice\"}");
        await WriteAsync(legacy, notice,
            new TableEntity("", "p|" + notice) { ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options), ["Status"] = "queued", ["Attempts"] = 0, ["NextAttemptAt"] = _before.Clock.GetUtcNow() });

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
