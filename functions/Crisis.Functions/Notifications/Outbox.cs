using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public enum OutboxChannel
{
    Email,
    Webhook,
    Sms,
}

/// <summary>
/// One message to one recipient. <see cref="Key"/> is deterministic (what, for whom, which occurrence), so
/// enqueueing the same message twice queues it once. <see cref="Source"/> groups deliveries for reporting.
/// </summary>
public sealed record OutboxMessage(
    string Key,
    string Source,
    OutboxChannel Channel,
    string Address,
    string Subject,
    string Text,
    string Html,
    string? WebhookBody = null,
    Dictionary<string, string>? Headers = null);

/// <summary>
/// A message made when it is sent, from current data (the recipient's address, language and state, fresh
/// links): the outbox stores only the reference, so no address sits in the queue. <see cref="Recipient"/> is a
/// pseudonymous id, used to forget the recipient's deliveries. <see cref="Tally"/>, when given, is a prefix of
/// <see cref="Key"/> naming the group whose outcomes are counted (see <see cref="Outbox.CountsAsync"/>); it must not
/// name the recipient, as the counts outlive erasure.
/// </summary>
public sealed record DeferredMessage(string Key, string Kind, string Reference, string Recipient, string? Tally = null);

/// <summary>What a deferred message is now: the message to send, or an outcome that ends it unsent ("cancelled", "quarantined").</summary>
public sealed record Rendering(OutboxMessage? Message, string? Outcome = null, string? Reason = null, int PriorFailures = 0);

/// <summary>Makes the deferred messages of one kind, and hears how each attempt went (to quarantine what keeps failing).</summary>
public interface IDeferredMessages
{
    string Kind { get; }

    Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Hears how an attempt went; true when the recipient is quarantined now, which ends the message unsent.</summary>
    Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken);
}

public sealed record DispatchResult(int Sent, int Retried, int Failed, int Skipped, int SetAside = 0);

/// <summary>One message's delivery state: queued, sending, retry (pending) or sent, failed, cancelled, quarantined (final).</summary>
public sealed record Delivery(string Key, string? Recipient, string? Channel, string Status, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

/// <summary>How many messages of a group ended each way, and how many are still to be sent.</summary>
public sealed record DeliveryCounts(int Sent, int Failed, int Quarantined, int Cancelled, int Pending, int SetAside = 0);

public sealed record DeliveryPage(IReadOnlyList<Delivery> Deliveries, string? ContinuationToken);

/// <summary>A message set aside because making or sending it threw something unexpected: not retried, kept for an admin to look into.</summary>
public sealed record SetAsideMessage(string Key, string? Kind, string? Channel, int Attempts, string Reason, DateTimeOffset? SetAsideAt);

public sealed record SetAsideList(IReadOnlyList<SetAsideMessage> Messages, string? ContinuationToken);

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How many shards one instance sends from at once.</summary>
    [Range(1, 16)]
    public int Parallelism { get; set; } = 8;

    /// <summary>Send right after a change queues messages, besides the timers' runs.</summary>
    public bool SendInBackground { get; set; } = true;
}

/// <summary>
/// The durable outbox. Each message has a pending marker <c>p|{key}</c> while undelivered and a permanent record
/// <c>r|{key}</c> once it is done, in the same partition (one of 16 shards). A marker and its record are written
/// together by entity-group transactions. Senders claim a marker with an ETag-guarded update, so two instances
/// never send the same message at once; a claim left by a crashed run expires and the message is sent again with
/// the same id (webhook-id / Message-ID), which receivers use to recognise the repeat.
/// </summary>
public sealed class Outbox(
    CrisisStorage storage,
    IEnumerable<INotificationChannel> channels,
    IEnumerable<IDeferredMessages> deferred,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<Outbox> logger)
{
    public const string TableName = "outbox";
    public const int Shards = 16;
    public const int MaxAttempts = 8;
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(2);
    private static readonly string[] RowStates = ["p|", "r|"];
    /// <summary>The outcome of a message whose rendering or sending threw something unexpected (see <see cref="SetAsideAsync"/>).</summary>
    public const string SetAside = "set-aside";

    /// <summary>The final outcomes counted per group, in the order <see cref="DeliveryCounts"/> holds them.</summary>
    private static readonly string[] Outcomes = ["sent", "failed", "quarantined", "cancelled", SetAside];
    private const int MaxReasonLength = 1000;
    private static readonly string[] SetAsideColumns = ["Key", "Kind", "Channel", "Attempts", "Reason", "SetAsideAt"];
    private const int MaxCounterAttempts = 10;
    private static readonly string[] DeliveryColumns = ["Key", "Recipient", "Channel", "Status", "Attempts", "LastError", "NextAttemptAt", "CompletedAt"];

    /// <summary>Queues the message unless a message with its key was ever queued; true when it queued it now.</summary>
    public Task<bool> EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EnqueueOnceAsync(message.Key, new()
        {
            ["Source"] = message.Source,
            ["Channel"] = message.Channel.ToString(),
        }, new() { ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options) }, cancellationToken);
    }

    /// <summary>Queues a deferred message unless its key was ever queued; true when it queued it now.</summary>
    public Task<bool> EnqueueAsync(DeferredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EnqueueOnceAsync(message.Key, new() { ["Recipient"] = message.Recipient }, Deferred(message), cancellationToken);
    }

    /// <summary>
    /// Queues up to 99 deferred messages in shard <paramref name="shard"/> and, in the same transaction, merges
    /// <paramref name="checkpoint"/> (a row of the same shard) if it still has <paramref name="checkpointETag"/>:
    /// the progress of whoever queues them is recorded with the messages, both or neither. Returns the checkpoint's new ETag.
    /// </summary>
    public async Task<ETag> EnqueueBatchAsync(int shard, IReadOnlyList<DeferredMessage> messages, TableEntity checkpoint, ETag checkpointETag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = ShardName(shard);
        var actions = messages.Select(m =>
        {
            var marker = new TableEntity(partition, "p|" + RowKeyOf(m.Key));
            foreach (var (name, value) in Pending(Deferred(m)))
            {
                marker[name] = value;
            }

            return new TableTransactionAction(TableTransactionActionType.Add, marker);
        }).Append(new TableTransactionAction(TableTransactionActionType.UpdateMerge, checkpoint, checkpointETag)).ToList();
        var etags = await table.SubmitAsync(actions, cancellationToken);
        return etags[^1];
    }

    private async Task<bool> EnqueueOnceAsync(string messageKey, Dictionary<string, object> record, Dictionary<string, object> data, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = Shard(messageKey);
        var key = RowKeyOf(messageKey);
        var recordRow = new TableEntity(partition, "r|" + key) { ["Key"] = messageKey, ["Status"] = "queued", ["QueuedAt"] = time.GetUtcNow() };
        foreach (var (name, value) in record)
        {
            recordRow[name] = value;
        }

        var marker = new TableEntity(partition, "p|" + key);
        foreach (var (name, value) in Pending(data))
        {
            marker[name] = value;
        }

        try
        {
            await table.SubmitAsync(
            [
                new(TableTransactionActionType.Add, recordRow),
                new(TableTransactionActionType.Add, marker),
            ], cancellationToken);
            return true;
        }
        catch (AlreadyExistsException)
        {
            return false;
        }
    }

    private Dictionary<string, object> Pending(Dictionary<string, object> data)
    {
        data["Status"] = "queued";
        data["Attempts"] = 0;
        data["NextAttemptAt"] = time.GetUtcNow();
        return data;
    }

    private static Dictionary<string, object> Deferred(DeferredMessage message)
    {
        var data = new Dictionary<string, object>
        {
            ["Key"] = message.Key,
            ["Kind"] = message.Kind,
            ["Ref"] = message.Reference,
            ["Recipient"] = message.Recipient,
        };
        if (message.Tally is { } tally)
        {
            data["Tally"] = message.Key.StartsWith(tally, StringComparison.Ordinal) ? tally : throw new ArgumentException($"The tally of {message.Key} is not a prefix of its key.", nameof(message));
        }

        return data;
    }

    /// <summary>
    /// Sends what is due, oldest first per shard, several shards at once, up to <paramref name="max"/> messages;
    /// stops cleanly when cancelled.
    /// </summary>
    public async Task<DispatchResult> DispatchAsync(int max, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        int sent = 0, retried = 0, failed = 0, skipped = 0, setAside = 0, started = 0;
        var now = time.GetUtcNow();
        await Parallel.ForEachAsync(Enumerable.Range(0, Shards), new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = cancellationToken }, async (shard, token) =>
        {
            var due = Tables.And(Tables.RowKeyPrefixFilter(ShardName(shard), "p|"), TableClient.CreateQueryFilter($"NextAttemptAt le {now}"));
            await foreach (var marker in table.QueryRowsAsync(due, cancellationToken: token))
            {
                if (Interlocked.Increment(ref started) > max)
                {
                    break;
                }

                token.ThrowIfCancellationRequested();
                switch (await DeliverAsync(table, marker))
                {
                    case "sent": Interlocked.Increment(ref sent); break;
                    case "retry": Interlocked.Increment(ref retried); break;
                    case "skipped" or "cancelled": Interlocked.Increment(ref skipped); break;
                    case SetAside: Interlocked.Increment(ref setAside); break;
                    default: Interlocked.Increment(ref failed); break;
                }
            }
        });

        if (sent + retried + failed + setAside > 0)
        {
            logger.LogInformation("Outbox: {Sent} sent, {Retried} to retry, {Failed} not delivered, {Skipped} skipped, {SetAside} set aside", sent, retried, failed, skipped, setAside);
        }

        return new DispatchResult(sent, retried, failed, skipped, setAside);
    }

    private async Task<string> DeliverAsync(TableClient table, TableEntity marker)
    {
        var now = time.GetUtcNow();
        if (marker.GetString("Status") == "sending" && marker.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout)
        {
            return "skipped";
        }

        var attempts = (marker.GetInt32("Attempts") ?? 0) + 1;
        var claimRow = new TableEntity(marker.PartitionKey, marker.RowKey) { ["Status"] = "sending", ["ClaimedAt"] = now, ["Attempts"] = attempts };
        ETag claim;
        try
        {
            // From the claim on, a message is finished whatever happens to the run: a claim cancelled in flight
            // could be stored without our knowing, and would hold the message back for the claim timeout.
            claim = await table.UpdateAsync(claimRow, marker.ETag, TableUpdateMode.Merge, CancellationToken.None);
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            return "skipped";
        }

        // A send once started is finished (each sender has its own timeout) and recorded: cancellation only
        // stops a run between messages, so it never leaves a message delivered but unrecorded.
        var recordKey = "r|" + marker.RowKey[2..];
        var source = marker.GetString("Kind") is { } kind ? deferred.FirstOrDefault(d => d.Kind == kind) : null;
        Rendering rendering;
        try
        {
            rendering = source is null
                ? new Rendering(JsonSerializer.Deserialize<OutboxMessage>(marker.GetString("Data")!, JsonBody.Options)!)
                : await source.RenderAsync(marker.GetString("Ref")!, CancellationToken.None);
        }
        catch (Exception e) when (IsPoison(e))
        {
            await SetAsideAsync(table, marker, claim, recordKey, attempts, null, "Rendering failed: " + e.Message);
            return SetAside;
        }

        if (rendering.Message is not { } message)
        {
            await CompleteAsync(table, marker, claim, recordKey, rendering.Outcome ?? "cancelled", attempts - 1, rendering.Reason, null);
            return rendering.Outcome ?? "cancelled";
        }

        string? error;
        try
        {
            error = await SendAsync(message, marker.RowKey[2..], CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            error = "timed out";
        }
        catch (Exception e) when (IsPoison(e))
        {
            await SetAsideAsync(table, marker, claim, recordKey, attempts, message.Channel, "Sending failed: " + e.Message.Replace(message.Address, "[recipient]", StringComparison.OrdinalIgnoreCase));
            return SetAside;
        }

        if (source is not null && await source.AfterAttemptAsync(marker.GetString("Ref")!, rendering, error, CancellationToken.None))
        {
            await CompleteAsync(table, marker, claim, recordKey, "quarantined", attempts, error, message.Channel);
            return "quarantined";
        }

        if (error is null || attempts >= MaxAttempts)
        {
            var status = error is null ? "sent" : "failed";
            await CompleteAsync(table, marker, claim, recordKey, status, attempts, error, message.Channel);
            if (error is not null)
            {
                logger.LogWarning("Outbox: {Key} failed after {Attempts} attempts: {Error}", message.Key, attempts, error);
            }

            return status;
        }

        var retry = new TableEntity(marker.PartitionKey, marker.RowKey)
        {
            ["Status"] = "retry",
            ["LastError"] = error,
            ["NextAttemptAt"] = now + Backoff(attempts),
        };
        await IgnoreLostClaimAsync(() => table.UpdateAsync(retry, claim, TableUpdateMode.Merge, CancellationToken.None));
        return "retry";
    }

    /// <summary>
    /// Records how a message ended, in one transaction that deletes the claimed marker, and for a message with a
    /// tally counts the outcome in the same transaction: the count goes up exactly once per message (a lost claim
    /// writes nothing), and stays when erasure later deletes the record. Counters are rows <c>n|{tally}</c> of each
    /// shard (see <see cref="CountsAsync"/>); a counter changed by a concurrent completion in the shard is read again.
    /// </summary>
    private async Task CompleteAsync(TableClient table, TableEntity marker, ETag claim, string recordKey, string status, int attempts, string? error, OutboxChannel? channel, TableEntity? listing = null)
    {
        var record = new TableEntity(marker.PartitionKey, recordKey)
        {
            ["Key"] = marker.GetString("Key"),
            ["Recipient"] = marker.GetString("Recipient"),
            ["Status"] = status,
            ["Attempts"] = attempts,
            ["CompletedAt"] = time.GetUtcNow(),
            ["LastError"] = error,
        };
        if (channel is { } sentBy)
        {
            record["Channel"] = sentBy.ToString();
        }

        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.UpsertMerge, record),
            new(TableTransactionActionType.Delete, new TableEntity(marker.PartitionKey, marker.RowKey), claim),
        ];
        if (listing is not null)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, listing));
        }

        if (marker.GetString("Tally") is not { } tally)
        {
            await IgnoreLostClaimAsync(() => table.SubmitAsync(actions, CancellationToken.None));
            return;
        }

        var counterKey = "n|" + RowKeyOf(tally);
        var property = CounterProperty(status);
        for (var attempt = 1; ; attempt++)
        {
            var counter = await table.FindAsync(marker.PartitionKey, counterKey, [property], CancellationToken.None);
            var counted = new TableEntity(marker.PartitionKey, counterKey) { ["Tally"] = tally, [property] = (counter?.GetCount(property) ?? 0) + 1 };
            try
            {
                await table.SubmitAsync([.. actions, counter is null ? new(TableTransactionActionType.Add, counted) : new(TableTransactionActionType.UpdateMerge, counted, counter.ETag)], CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                if ((await table.FindAsync(marker.PartitionKey, marker.RowKey, ["RowKey"], CancellationToken.None))?.ETag != claim)
                {
                    // The claim expired and was taken over, or the message was forgotten meanwhile: nothing more to record.
                    return;
                }

                if (attempt >= MaxCounterAttempts)
                {
                    // Still claimed and unrecorded: once the claim expires the message is sent again (same id) and counted then.
                    logger.LogWarning("Outbox: {Key} could not be recorded after {Attempts} attempts on a busy counter", marker.GetString("Key"), attempt);
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), time, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// How the messages of each tally starting with <paramref name="tallyPrefix"/> ended, from the counters (which
    /// erasure does not lower), and how many are still pending (an erased recipient's unsent messages go with them),
    /// keyed by tally. Two key-range queries per shard, whatever the number of tallies (a tally prefixes its messages' keys).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeliveryCounts>> CountsAsync(string tallyPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tallyPrefix);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var ended = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var pending = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var shard = 0; shard < Shards; shard++)
        {
            await foreach (var counter in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(ShardName(shard), "n|" + RowKeyOf(tallyPrefix)), ["Tally", .. Outcomes.Select(CounterProperty)], cancellationToken: cancellationToken))
            {
                var tally = counter.GetString("Tally")!;
                var sums = ended.TryGetValue(tally, out var found) ? found : ended[tally] = new long[Outcomes.Length];
                for (var i = 0; i < Outcomes.Length; i++)
                {
                    sums[i] += counter.GetCount(CounterProperty(Outcomes[i])) ?? 0;
                }
            }

            await foreach (var marker in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(ShardName(shard), "p|" + RowKeyOf(tallyPrefix)), ["Tally"], cancellationToken: cancellationToken))
            {
                if (marker.GetString("Tally") is { } tally)
                {
                    pending[tally] = pending.GetValueOrDefault(tally) + 1;
                }
            }
        }

        return ended.Keys.Union(pending.Keys).ToDictionary(t => t, t =>
        {
            var sums = ended.GetValueOrDefault(t) ?? new long[Outcomes.Length];
            return new DeliveryCounts((int)sums[0], (int)sums[1], (int)sums[2], (int)sums[3], pending.GetValueOrDefault(t), (int)sums[4]);
        }, StringComparer.Ordinal);
    }

    private static string CounterProperty(string outcome) => string.Concat(outcome.Split('-').Select(word => char.ToUpperInvariant(word[0]).ToString() + word[1..]));

    /// <summary>
    /// Ends a message whose rendering or sending threw something unexpected (a corrupted document, a bug): it is
    /// recorded as set aside with the reason, counted, logged with its key and listed for admins (row <c>s|{key}</c>),
    /// and never tried again, so it cannot hold back the other messages of a run, nor come back every run.
    /// </summary>
    private async Task SetAsideAsync(TableClient table, TableEntity marker, ETag claim, string recordKey, int attempts, OutboxChannel? channel, string reason)
    {
        var key = marker.GetString("Key") ?? marker.RowKey[2..];
        var shortened = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;
        logger.LogError("Outbox: {Key} set aside after {Attempts} attempts: {Reason}", key, attempts, shortened);
        var listing = new TableEntity(marker.PartitionKey, "s|" + marker.RowKey[2..])
        {
            ["Key"] = key,
            ["Kind"] = marker.GetString("Kind"),
            ["Recipient"] = marker.GetString("Recipient"),
            ["Channel"] = channel?.ToString().ToLowerInvariant(),
            ["Attempts"] = attempts,
            ["Reason"] = shortened,
            ["SetAsideAt"] = time.GetUtcNow(),
        };
        await CompleteAsync(table, marker, claim, recordKey, SetAside, attempts, shortened, channel, listing);
    }

    /// <summary>What makes a message poison: anything but storage being away or a cancellation, which end the run and are retried.</summary>
    private static bool IsPoison(Exception e) => e is not (StorageUnavailableException or OperationCanceledException or OutOfMemoryException);

    /// <summary>One page of the messages set aside, shard by shard (see <see cref="SetAsideAsync"/>).</summary>
    public async Task<SetAsideList> SetAsidePageAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var filters = Enumerable.Range(0, Shards).Select(shard => Tables.RowKeyPrefixFilter(ShardName(shard), "s|")).ToList();
        var page = await table.QueryPageAsync(filters, SetAsideColumns, pageSize, continuationToken, cancellationToken);
        return new SetAsideList([.. page.Entities.Select(row => new SetAsideMessage(
            row.GetString("Key") ?? row.RowKey[2..], row.GetString("Kind"), row.GetString("Channel"), row.GetInt32("Attempts") ?? 0, row.GetString("Reason") ?? "", row.GetDateTimeOffset("SetAsideAt")))], page.ContinuationToken);
    }

    /// <summary>A claim that expired and was taken over, or a message forgotten meanwhile: nothing more to record.</summary>
    private static async Task IgnoreLostClaimAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            // Someone else completed, re-claimed or erased it.
        }
    }

    /// <summary>
    /// Sends one message; null when delivered, else why not. The reason is logged and stored, so the recipient's
    /// address is taken out of it (relays and providers like to quote it).
    /// </summary>
    private async Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken)
    {
        var channel = channels.FirstOrDefault(c => c.Channel == message.Channel);
        if (channel is null)
        {
            return $"No {message.Channel} channel is configured.";
        }

        string? error;
        try
        {
            error = await channel.SendAsync(message, messageId, cancellationToken);
        }
        catch (Exception e) when (e is System.Net.Mail.SmtpException or HttpRequestException or UnsafeWebhookException or InvalidOperationException or IOException or FormatException or JsonException or KeyNotFoundException)
        {
            error = e.Message;
        }

        return error?.Replace(message.Address, "[recipient]", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every delivery whose key starts with <paramref name="keyPrefix"/>, pending and done, shard by shard.</summary>
    public async IAsyncEnumerable<Delivery> DeliveriesAsync(string keyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        foreach (var filter in DeliveryFilters(keyPrefix))
        {
            await foreach (var row in table.QueryRowsAsync(filter, DeliveryColumns, cancellationToken: cancellationToken))
            {
                yield return ToDelivery(row);
            }
        }
    }

    /// <summary>One page of <see cref="DeliveriesAsync"/>, pending then done, shard by shard.</summary>
    public async Task<DeliveryPage> DeliveryPageAsync(string keyPrefix, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var page = await table.QueryPageAsync(DeliveryFilters(keyPrefix), DeliveryColumns, pageSize, continuationToken, cancellationToken);
        return new DeliveryPage([.. page.Entities.Select(ToDelivery)], page.ContinuationToken);
    }

    /// <summary>The queries of one key prefix's deliveries: in each shard, the pending markers and then the records.</summary>
    private static List<string> DeliveryFilters(string keyPrefix) =>
        [.. Enumerable.Range(0, Shards).SelectMany(shard => RowStates.Select(state => Tables.RowKeyPrefixFilter(ShardName(shard), state + RowKeyOf(keyPrefix))))];

    /// <summary>Deletes every message and delivery record of <paramref name="recipient"/> (erasure). Returns how many rows went.</summary>
    public async Task<int> ForgetRecipientAsync(string recipient, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var deleted = 0;
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"Recipient eq {recipient}"), ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            deleted += await table.RemoveAsync(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken) ? 1 : 0;
        }

        return deleted;
    }

    private static Delivery ToDelivery(TableEntity row) => new(
        row.GetString("Key") ?? row.RowKey[2..],
        row.GetString("Recipient"),
        row.GetString("Channel")?.ToLowerInvariant(),
        row.GetString("Status") ?? "queued",
        row.GetInt32("Attempts") ?? 0,
        row.GetString("LastError"),
        row.RowKey.StartsWith("p|", StringComparison.Ordinal) ? row.GetDateTimeOffset("NextAttemptAt") : null,
        row.GetDateTimeOffset("CompletedAt"));

    private static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, attempts - 1)));

    private static string Shard(string key) => ShardName(SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] % Shards);

    public static string ShardName(int shard) => "o" + shard.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>Keys name crises and recipients; anything a table key forbids is replaced.</summary>
    public static string RowKeyOf(string key) =>
        string.Concat(key.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c));
}
