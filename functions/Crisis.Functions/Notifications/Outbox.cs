using System.ComponentModel.DataAnnotations;
using System.Globalization;
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

    /// <summary>
    /// Reads at once what rendering several messages of this kind needs (they come from one shard of the outbox, in
    /// key order), and returns how to render each of them; by default each is rendered on its own. Rendering one
    /// may still throw on its own (a corrupted document), without affecting the others.
    /// </summary>
    Task<Func<string, Task<Rendering>>> PrepareAsync(IReadOnlyList<string> references, CancellationToken cancellationToken) =>
        Task.FromResult<Func<string, Task<Rendering>>>(reference => RenderAsync(reference, cancellationToken));

    /// <summary>Hears how an attempt went; true when the recipient is quarantined now, which ends the message unsent.</summary>
    Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken);
}

public sealed record DispatchResult(int Sent, int Retried, int Failed, int Skipped, int SetAside = 0);

/// <summary>One message's delivery state: queued, sending, retry (pending) or sent, failed, cancelled, quarantined (final).</summary>
public sealed record Delivery(string Key, string? Recipient, string? Channel, string Status, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

/// <summary>How many messages of a group ended each way, how many are still to be sent (of those, how many are being sent or wait for a retry), and how many were queued in all, first when.</summary>
public sealed record DeliveryCounts(int Sent, int Failed, int Quarantined, int Cancelled, int Pending, int SetAside = 0, int Sending = 0, int Retrying = 0, int Queued = 0, DateTimeOffset? FirstQueuedAt = null);

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

    /// <summary>How many emails one instance sends at once, each over its own pooled SMTP connection.</summary>
    [Range(1, 64)]
    public int EmailConcurrency { get; set; } = 8;

    /// <summary>How many webhook calls one instance makes at once (connections are pooled and reused).</summary>
    [Range(1, 512)]
    public int WebhookConcurrency { get; set; } = 64;

    /// <summary>How many SMS requests one instance makes at once.</summary>
    [Range(1, 64)]
    public int SmsConcurrency { get; set; } = 8;
}

/// <summary>
/// The durable outbox, in 16 shards (partitions). Each message has a pending marker <c>p|{key}</c> while
/// undelivered and a permanent record <c>r|{key}</c> once it is done; a message with a recipient also has an index
/// row <c>x|{recipient}|{key}</c>, so erasure finds the recipient's records by key. A tally's counters are rows
/// <c>n|{tally}</c> (how its messages ended, and how many are being sent or wait for a retry) and <c>n|{tally}queued</c>
/// (how many were queued, written by the queuer, so the two never contend) of each shard, each read by its key. Every change to markers is an entity-group transaction per shard that
/// carries the counters it changes, so the counts move exactly with the messages.
/// Senders read the due markers of a shard a window at a time, claim up to 99 in one ETag-guarded transaction (two
/// instances never send the same message at once), send them in parallel within per-channel limits, and record
/// how they ended in a few transactions. A claim left by a crashed run expires and the message is sent again with
/// the same id (webhook-id / Message-ID), which receivers use to recognise the repeat.
/// </summary>
public sealed class Outbox : IDisposable
{
    public const int Shards = 16;

    /// <summary>The single table every shard shared before each had its own (see <see cref="LegacyOutbox"/>).</summary>
    public const string LegacyTableName = "outbox";
    public const int MaxAttempts = 8;
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The outcome of a message whose rendering or sending threw something unexpected (see <see cref="SetAsideListing"/>).</summary>
    public const string SetAside = "set-aside";

    /// <summary>How long a channel pauses when a provider asks to slow down without saying for how long, and the longest pause taken.</summary>
    public static readonly TimeSpan DefaultBusyPause = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxBusyPause = TimeSpan.FromHours(1);

    private const string Queued = "queued";
    private const string Sending = "sending";
    private const string Retry = "retry";
    private const string Cancelled = "cancelled";
    private const string PendingPrefix = "p|";
    private const string RecordPrefix = "r|";
    private const string IndexPrefix = "x|";
    private const string ListingPrefix = "s|";
    private const string CounterPrefix = "n|";

    private const string QueuedSuffix = "queued";
    private static readonly string[] RowStates = [PendingPrefix, RecordPrefix];

    /// <summary>The final outcomes counted per tally, in the order <see cref="DeliveryCounts"/> holds them.</summary>
    private static readonly string[] Outcomes = ["sent", "failed", "quarantined", Cancelled, SetAside];
    private const string SendingCount = "Sending";
    private const string RetryingCount = "Retrying";
    private const string ForgottenCount = "Forgotten";
    private const string QueuedCount = "Queued";
    private const string FirstQueuedAt = "FirstQueuedAt";

    /// <summary>Markers claimed per transaction (one more action carries the counters).</summary>
    private const int ClaimBatch = 99;

    /// <summary>Due markers read ahead, and prepared for rendering together (see <see cref="IDeferredMessages.PrepareAsync"/>), per shard.</summary>
    private const int WindowSize = 990;
    private const int MaxConflicts = 10;
    private const int MaxReasonLength = 1000;
    private static readonly string[] DeliveryColumns = ["Key", "Recipient", "Channel", "Status", "Attempts", "LastError", "NextAttemptAt", "CompletedAt"];
    private static readonly string[] SetAsideColumns = ["Key", "Kind", "Channel", "Attempts", "Reason", "SetAsideAt"];

    private readonly CrisisStorage _storage;
    private readonly LegacyOutbox _legacy;
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly IReadOnlyList<IDeferredMessages> _deferred;
    private readonly IOptions<OutboxOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<Outbox> _logger;
    private readonly Dictionary<OutboxChannel, ChannelGate> _gates;

    /// <summary>Each shard's own table.</summary>
    public static string TableName(int shard) => "outbox" + shard.ToString("D2", CultureInfo.InvariantCulture);

    public static IEnumerable<string> TableNames => Enumerable.Range(0, Shards).Select(TableName);

    /// <summary>The shard of a recipient's messages (or of a message without one, by its key): all of a recipient's messages are in one shard, so erasure looks in one.</summary>
    public static int ShardOf(string recipientOrKey) => SHA256.HashData(Encoding.UTF8.GetBytes(recipientOrKey))[0] % Shards;

    public Outbox(CrisisStorage storage, LegacyOutbox legacy, IEnumerable<INotificationChannel> channels, IEnumerable<IDeferredMessages> deferred, IOptions<OutboxOptions> options, TimeProvider time, ILogger<Outbox> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _storage = storage;
        _legacy = legacy;
        _channels = [.. channels];
        _deferred = [.. deferred];
        _options = options;
        _time = time;
        _logger = logger;
        var limits = options.Value;
        _gates = new()
        {
            [OutboxChannel.Email] = new ChannelGate(limits.EmailConcurrency),
            [OutboxChannel.Webhook] = new ChannelGate(limits.WebhookConcurrency),
            [OutboxChannel.Sms] = new ChannelGate(limits.SmsConcurrency),
        };
    }

    /// <summary>Queues the message unless a message with its key was ever queued; true when it queued it now.</summary>
    public Task<bool> EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EnqueueOnceAsync(message.Key, null, new()
        {
            ["Source"] = message.Source,
            ["Channel"] = message.Channel.ToString(),
        }, new() { ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options) }, cancellationToken);
    }

    /// <summary>Queues a deferred message unless its key was ever queued; true when it queued it now. Tallied messages are queued with <see cref="EnqueueBatchAsync"/>.</summary>
    public Task<bool> EnqueueAsync(DeferredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Tally is not null)
        {
            throw new ArgumentException("Tallied messages are queued in batches, which count them.", nameof(message));
        }

        return EnqueueOnceAsync(message.Key, message.Recipient, new() { ["Recipient"] = message.Recipient }, Deferred(message), cancellationToken);
    }

    /// <summary>
    /// Queues up to 98 deferred messages of one tally (or none) in shard <paramref name="shard"/> and, in the same
    /// transaction, counts them in the tally's queued row and merges <paramref name="checkpoint"/> (a row of the
    /// same shard) if it still has <paramref name="checkpointETag"/>: the progress of whoever queues them is recorded
    /// with the messages and their count, all or nothing. Returns the checkpoint's new ETag.
    /// </summary>
    public async Task<ETag> EnqueueBatchAsync(int shard, IReadOnlyList<DeferredMessage> messages, TableEntity checkpoint, ETag checkpointETag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var tallies = messages.Select(m => m.Tally).Distinct(StringComparer.Ordinal).ToList();
        if (tallies.Count > 1)
        {
            throw new ArgumentException("One batch holds messages of one tally.", nameof(messages));
        }

        var table = await ShardTableAsync(shard, cancellationToken);
        var partition = ShardName(shard);
        var actions = messages.Select(m =>
        {
            var marker = new TableEntity(partition, PendingPrefix + RowKeyOf(m.Key));
            foreach (var (name, value) in Pending(Deferred(m)))
            {
                marker[name] = value;
            }

            return new TableTransactionAction(TableTransactionActionType.Add, marker);
        }).ToList();
        if (tallies is [{ } tally])
        {
            // Only the holder of the checkpoint writes this count (the checkpoint's ETag guards the transaction).
            var key = CounterPrefix + RowKeyOf(tally) + QueuedSuffix;
            var counted = await table.FindAsync(partition, key, [QueuedCount], cancellationToken);
            var next = new TableEntity(partition, key) { ["Tally"] = tally, [QueuedCount] = (counted?.GetCount(QueuedCount) ?? 0) + messages.Count };
            if (counted is null)
            {
                next[FirstQueuedAt] = _time.GetUtcNow();
            }

            actions.Add(counted is null ? new(TableTransactionActionType.Add, next) : new(TableTransactionActionType.UpdateMerge, next, counted.ETag));
        }

        actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, checkpoint, checkpointETag));
        var etags = await table.SubmitAsync(actions, cancellationToken);
        return etags[^1];
    }

    private async Task<bool> EnqueueOnceAsync(string messageKey, string? recipient, Dictionary<string, object> record, Dictionary<string, object> data, CancellationToken cancellationToken)
    {
        var shard = ShardOf(recipient ?? messageKey);
        var table = await ShardTableAsync(shard, cancellationToken);
        var partition = ShardName(shard);
        var key = RowKeyOf(messageKey);
        var recordRow = new TableEntity(partition, RecordPrefix + key) { ["Key"] = messageKey, ["Status"] = Queued, ["QueuedAt"] = _time.GetUtcNow() };
        foreach (var (name, value) in record)
        {
            recordRow[name] = value;
        }

        var marker = new TableEntity(partition, PendingPrefix + key);
        foreach (var (name, value) in Pending(data))
        {
            marker[name] = value;
        }

        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.Add, recordRow),
            new(TableTransactionActionType.Add, marker),
        ];
        if (recipient is not null)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, IndexRow(partition, recipient, key, listed: false)));
        }

        try
        {
            await table.SubmitAsync(actions, cancellationToken);
            return true;
        }
        catch (AlreadyExistsException)
        {
            return false;
        }
    }

    private Dictionary<string, object> Pending(Dictionary<string, object> data)
    {
        data["Status"] = Queued;
        data["Attempts"] = 0;
        data["NextAttemptAt"] = _time.GetUtcNow();
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

    private static TableEntity IndexRow(string partition, string recipient, string rowKey, bool listed) =>
        new(partition, IndexKeyPrefix(recipient) + rowKey) { ["Listed"] = listed };

    /// <summary>Where a recipient's index rows start, one per message: <c>x|{recipient}|{message}</c>.</summary>
    private static string IndexKeyPrefix(string recipient) => $"{IndexPrefix}{RowKeyOf(recipient)}|";

    /// <summary>An index row of <paramref name="recipient"/> for the message whose row key (after its state) is <paramref name="rowKey"/>, in the recipient's shard, saying nothing of a listing.</summary>
    internal static TableEntity IndexRowOf(string recipient, string rowKey) => new(ShardName(ShardOf(recipient)), IndexKeyPrefix(recipient) + rowKey);

    /// <summary>
    /// The recipient of the message a row belongs to, where the row says: a marker's or a record's <c>Recipient</c>, an
    /// index row's key. Null for a row of a message without one, a counter, a checkpoint, and a listing (whose
    /// recipient is its record's).
    /// </summary>
    internal static string? RecipientOf(TableEntity row) => row.RowKey switch
    {
        var key when key.StartsWith(IndexPrefix, StringComparison.Ordinal) && key.IndexOf('|', IndexPrefix.Length) is > 0 and var end => key[IndexPrefix.Length..end],
        var key when key.StartsWith(PendingPrefix, StringComparison.Ordinal) || key.StartsWith(RecordPrefix, StringComparison.Ordinal) => row.GetString("Recipient"),
        _ => null,
    };

    /// <summary>The key of the record of a set-aside message's listing row, or null for another row.</summary>
    internal static string? RecordKeyOfListing(string rowKey) => rowKey.StartsWith(ListingPrefix, StringComparison.Ordinal) ? RecordPrefix + rowKey[ListingPrefix.Length..] : null;

    /// <summary>Whether a row is a delivery record.</summary>
    internal static bool IsRecord(string rowKey) => rowKey.StartsWith(RecordPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Sends what is due, oldest first per shard, several shards at once, up to about <paramref name="max"/> messages;
    /// stops cleanly when cancelled: messages claimed but not yet sent are given back unchanged.
    /// </summary>
    public async Task<DispatchResult> DispatchAsync(int max, CancellationToken cancellationToken)
    {
        var run = new RunTally(max);

        // Instances start at different shards, so that two of them mostly work apart.
        var first = Random.Shared.Next(Shards);
        await Parallel.ForEachAsync(Enumerable.Range(0, Shards).Select(i => (first + i) % Shards), new ParallelOptions { MaxDegreeOfParallelism = _options.Value.Parallelism, CancellationToken = cancellationToken },
            async (shard, token) => await DispatchShardAsync(await ShardTableAsync(shard, token), shard, run, token));

        if (run.Sent + run.Retried + run.Failed + run.SetAside > 0)
        {
            _logger.LogInformation("Outbox: {Sent} sent, {Retried} to retry, {Failed} not delivered, {Skipped} skipped, {SetAside} set aside", run.Sent, run.Retried, run.Failed, run.Skipped, run.SetAside);
        }

        return new DispatchResult(run.Sent, run.Retried, run.Failed, run.Skipped, run.SetAside);
    }

    private async Task DispatchShardAsync(TableClient table, int shard, RunTally run, CancellationToken cancellationToken)
    {
        var partition = ShardName(shard);
        var now = _time.GetUtcNow();
        var counters = new ShardCounters(table, partition);
        var due = Tables.And(Tables.RowKeyPrefixFilter(partition, PendingPrefix), TableClient.CreateQueryFilter($"NextAttemptAt le {now}"));
        var window = new List<TableEntity>(WindowSize);
        await foreach (var marker in table.QueryRowsAsync(due, maxPerPage: Tables.MaxPageSize, cancellationToken: cancellationToken))
        {
            if (marker.GetString("Status") == Sending && marker.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout)
            {
                run.Count(null);
                continue;
            }

            window.Add(marker);
            if (window.Count == WindowSize)
            {
                if (!await SendWindowAsync(table, counters, window, run, cancellationToken))
                {
                    return;
                }

                window.Clear();
            }
        }

        if (window.Count > 0)
        {
            await SendWindowAsync(table, counters, window, run, cancellationToken);
        }
    }

    /// <summary>Sends a window of due markers, claimed a batch of one tally at a time; false when the run should stop (budget spent, cancelled).</summary>
    private async Task<bool> SendWindowAsync(TableClient table, ShardCounters counters, List<TableEntity> window, RunTally run, CancellationToken cancellationToken)
    {
        var render = await RenderersAsync(window);
        var start = 0;
        while (start < window.Count)
        {
            var tally = window[start].GetString("Tally");
            var end = start + 1;
            while (end < window.Count && end - start < ClaimBatch && window[end].GetString("Tally") == tally)
            {
                end++;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            var allowed = run.Take(end - start);
            if (allowed == 0)
            {
                return false;
            }

            var claimed = await ClaimAsync(table, counters, tally, window.GetRange(start, allowed));
            await SendClaimedAsync(table, counters, tally, claimed, render, run, cancellationToken);
            if (allowed < end - start)
            {
                return false;
            }

            start = end;
        }

        return true;
    }

    /// <summary>How to make each message of a window: deferred kinds prepared together, others from the data they were queued with.</summary>
    private async Task<Func<TableEntity, Task<Rendering>>> RenderersAsync(List<TableEntity> window)
    {
        var prepared = new Dictionary<string, Func<string, Task<Rendering>>>(StringComparer.Ordinal);
        foreach (var group in window.Where(m => m.GetString("Kind") is not null).GroupBy(m => m.GetString("Kind")!, StringComparer.Ordinal))
        {
            if (_deferred.FirstOrDefault(d => d.Kind == group.Key) is not { } source)
            {
                continue;
            }

            try
            {
                prepared[group.Key] = await source.PrepareAsync([.. group.Select(m => m.GetString("Ref")!)], CancellationToken.None);
            }
            catch (Exception e) when (IsPoison(e))
            {
                // Reading ahead failed on something unexpected: render one by one, so only the bad ones are set aside.
                _logger.LogWarning(e, "Outbox: preparing {Count} {Kind} messages failed; rendering them one by one", group.Count(), group.Key);
                prepared[group.Key] = reference => source.RenderAsync(reference, CancellationToken.None);
            }
        }

        return async marker => marker.GetString("Kind") is { } kind && prepared.TryGetValue(kind, out var render)
            ? await render(marker.GetString("Ref")!)
            : new Rendering(JsonSerializer.Deserialize<OutboxMessage>(marker.GetString("Data")!, JsonBody.Options)!);
    }

    /// <summary>
    /// Claims markers of one tally in one transaction (with the tally's counts of messages being sent and waiting for
    /// a retry), guarded by each marker's ETag. When another sender changed one meanwhile, the markers are read again
    /// and the unchanged ones claimed. Returns the claimed markers with their claims.
    /// </summary>
    private async Task<List<Claimed>> ClaimAsync(TableClient table, ShardCounters counters, string? tally, List<TableEntity> markers)
    {
        var now = _time.GetUtcNow();
        for (var attempt = 1; markers.Count > 0 && attempt <= MaxConflicts; attempt++)
        {
            var actions = markers.Select(m => new TableTransactionAction(TableTransactionActionType.UpdateMerge,
                new TableEntity(m.PartitionKey, m.RowKey) { ["Status"] = Sending, ["ClaimedAt"] = now, ["Attempts"] = (m.GetInt32("Attempts") ?? 0) + 1 }, m.ETag)).ToList();
            var delta = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [SendingCount] = markers.Count(m => m.GetString("Status") != Sending),
                [RetryingCount] = -markers.Count(m => m.GetString("Status") == Retry),
            };
            try
            {
                // From the claim on, a message is finished whatever happens to the run: a claim cancelled in flight
                // could be stored without our knowing, and would hold the message back for the claim timeout.
                var etags = await SubmitCountedAsync(table, counters, tally, actions, delta);
                return [.. markers.Select((m, i) => new Claimed(m, etags[i], (m.GetInt32("Attempts") ?? 0) + 1))];
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                markers = await UnchangedAsync(table, markers, m => m.ETag);
            }
        }

        return [];
    }

    /// <summary>The markers that still have the ETag <paramref name="expected"/> gives them, read in one range query.</summary>
    private static async Task<List<T>> UnchangedAsync<T>(TableClient table, List<T> items, Func<T, ETag> expected) where T : class
    {
        var keyed = items.ToDictionary(i => RowOf(i).RowKey, StringComparer.Ordinal);
        var partition = RowOf(items[0]).PartitionKey;
        var first = keyed.Keys.Min(StringComparer.Ordinal)!;
        var last = keyed.Keys.Max(StringComparer.Ordinal)!;
        var kept = new List<T>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {first} and RowKey le {last}"), ["RowKey"], cancellationToken: CancellationToken.None))
        {
            if (keyed.TryGetValue(row.RowKey, out var item) && row.ETag == expected(item))
            {
                kept.Add(item);
            }
        }

        return kept;
    }

    private static TableEntity RowOf<T>(T item) => item switch
    {
        TableEntity row => row,
        Claimed claimed => claimed.Marker,
        Ending ending => ending.Claimed.Marker,
        _ => throw new ArgumentException("Not an outbox row.", nameof(item)),
    };

    /// <summary>Submits <paramref name="actions"/> with the tally's counters moved by <paramref name="delta"/>, in one transaction; the ETags of the actions.</summary>
    private static async Task<IReadOnlyList<ETag>> SubmitCountedAsync(TableClient table, ShardCounters counters, string? tally, List<TableTransactionAction> actions, Dictionary<string, long> delta)
    {
        if (tally is null || delta.Values.All(v => v == 0))
        {
            return await table.SubmitAsync(actions, CancellationToken.None);
        }

        var counter = await counters.ActionAsync(tally, delta);
        try
        {
            var etags = await table.SubmitAsync([.. actions, counter], CancellationToken.None);
            counters.Written(tally, counter, etags[^1]);
            return etags;
        }
        catch (StorageException)
        {
            counters.Forget(tally);
            throw;
        }
    }

    /// <summary>
    /// Sends claimed messages in parallel within the channels' limits and records how each ended. A send once
    /// started is finished (each sender has its own timeout) and recorded; a message not yet started when the run
    /// is cancelled is given back as it was.
    /// </summary>
    private async Task SendClaimedAsync(TableClient table, ShardCounters counters, string? tally, List<Claimed> claimed, Func<TableEntity, Task<Rendering>> render, RunTally run, CancellationToken cancellationToken)
    {
        StorageUnavailableException? unavailable = null;
        var endings = await Task.WhenAll(claimed.Select(async c =>
        {
            try
            {
                return await DeliverAsync(c, render, cancellationToken);
            }
            catch (StorageUnavailableException e)
            {
                // Left claimed: once the claim expires the message is sent again (same id).
                unavailable = e;
                return null;
            }
        }));
        var done = endings.OfType<Ending>().ToList();
        await RecordAsync(table, counters, tally, done);
        foreach (var ending in done)
        {
            run.Count(ending);
        }

        if (unavailable is not null)
        {
            throw unavailable;
        }
    }

    private async Task<Ending> DeliverAsync(Claimed claimed, Func<TableEntity, Task<Rendering>> render, CancellationToken cancellationToken)
    {
        var marker = claimed.Marker;
        var attempts = claimed.Attempts;
        if (cancellationToken.IsCancellationRequested)
        {
            return GiveBack(claimed, null, null);
        }

        Rendering rendering;
        try
        {
            rendering = await render(marker);
        }
        catch (Exception e) when (IsPoison(e))
        {
            return SetAsideListing(claimed, null, "Rendering failed: " + e.Message);
        }

        if (rendering.Message is not { } message)
        {
            return new Ending(claimed, rendering.Outcome ?? Cancelled, attempts - 1, rendering.Reason);
        }

        var gate = _gates[message.Channel];
        if (gate.PausedUntil(_time) is { } paused)
        {
            return GiveBack(claimed, paused, null);
        }

        try
        {
            await gate.Slots.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return GiveBack(claimed, null, null);
        }

        string? error;
        try
        {
            if (gate.PausedUntil(_time) is { } pausedMeanwhile)
            {
                return GiveBack(claimed, pausedMeanwhile, null);
            }

            error = await SendAsync(message, marker.RowKey[2..], CancellationToken.None);
        }
        catch (ProviderBusyException busy)
        {
            var until = gate.Pause(_time.GetUtcNow() + Clamp(busy.RetryAfter ?? DefaultBusyPause));
            _logger.LogWarning("Outbox: {Channel} paused until {Until}: {Reason}", message.Channel, until, busy.Message);
            return GiveBack(claimed, until, busy.Message);
        }
        catch (OperationCanceledException)
        {
            error = "timed out";
        }
        catch (Exception e) when (IsPoison(e))
        {
            return SetAsideListing(claimed, message.Channel, "Sending failed: " + e.Message.Replace(message.Address, "[recipient]", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            gate.Slots.Release();
        }

        var source = marker.GetString("Kind") is { } kind ? _deferred.FirstOrDefault(d => d.Kind == kind) : null;
        if (source is not null && await source.AfterAttemptAsync(marker.GetString("Ref")!, rendering, error, CancellationToken.None))
        {
            return new Ending(claimed, "quarantined", attempts, error, message.Channel);
        }

        if (error is null || attempts >= MaxAttempts)
        {
            if (error is not null)
            {
                _logger.LogWarning("Outbox: {Key} failed after {Attempts} attempts: {Error}", message.Key, attempts, error);
            }

            return new Ending(claimed, error is null ? "sent" : "failed", attempts, error, message.Channel);
        }

        return new Ending(claimed, Retry, attempts, error, message.Channel, _time.GetUtcNow() + Backoff(attempts));
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > MaxBusyPause ? MaxBusyPause : wait;

    /// <summary>A claimed message handed back unsent, as it was (status, attempts), due at <paramref name="at"/> or when it was due.</summary>
    private static Ending GiveBack(Claimed claimed, DateTimeOffset? at, string? why)
    {
        var before = claimed.Marker.GetString("Status") == Retry ? Retry : Queued;
        return new Ending(claimed, before, claimed.Attempts - 1, why ?? claimed.Marker.GetString("LastError"), null, at ?? claimed.Marker.GetDateTimeOffset("NextAttemptAt"), GivenBack: true);
    }

    /// <summary>
    /// Ends a message whose rendering or sending threw something unexpected (a corrupted document, a bug): it is
    /// recorded as set aside with the reason, counted, logged with its key and listed for admins (row <c>s|{key}</c>),
    /// and never tried again, so it cannot hold back the other messages of a run, nor come back every run.
    /// </summary>
    private Ending SetAsideListing(Claimed claimed, OutboxChannel? channel, string reason)
    {
        var marker = claimed.Marker;
        var key = marker.GetString("Key") ?? marker.RowKey[2..];
        var shortened = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;
        _logger.LogError("Outbox: {Key} set aside after {Attempts} attempts: {Reason}", key, claimed.Attempts, shortened);
        var listing = new TableEntity(marker.PartitionKey, ListingPrefix + marker.RowKey[2..])
        {
            ["Key"] = key,
            ["Kind"] = marker.GetString("Kind"),
            ["Channel"] = channel?.ToString().ToLowerInvariant(),
            ["Attempts"] = claimed.Attempts,
            ["Reason"] = shortened,
            ["SetAsideAt"] = _time.GetUtcNow(),
        };
        return new Ending(claimed, SetAside, claimed.Attempts, shortened, channel, Listing: listing);
    }

    /// <summary>
    /// Records how claimed messages ended, in as few transactions as fit (each with the tally's counters), guarded
    /// by the claims: a count moves exactly once per message, and a claim lost meanwhile (expired and taken over, or
    /// the message erased) writes nothing. A finished message's marker goes, its record (and recipient index row)
    /// stays; a message to retry or given back keeps its marker.
    /// </summary>
    private async Task RecordAsync(TableClient table, ShardCounters counters, string? tally, List<Ending> endings)
    {
        var batch = new List<Ending>();
        var actions = 0;
        foreach (var ending in endings)
        {
            var needs = ending.Actions;
            if (actions + needs > TransactionLimits.MaxActions - 1)
            {
                await RecordBatchAsync(table, counters, tally, batch);
                batch = [];
                actions = 0;
            }

            batch.Add(ending);
            actions += needs;
        }

        if (batch.Count > 0)
        {
            await RecordBatchAsync(table, counters, tally, batch);
        }
    }

    private async Task RecordBatchAsync(TableClient table, ShardCounters counters, string? tally, List<Ending> batch)
    {
        for (var attempt = 1; batch.Count > 0; attempt++)
        {
            var delta = new Dictionary<string, long>(StringComparer.Ordinal);
            var actions = new List<TableTransactionAction>();
            foreach (var ending in batch)
            {
                actions.AddRange(ActionsOf(ending));
                Add(delta, SendingCount, -1);
                if (ending.Status == Retry)
                {
                    Add(delta, RetryingCount, 1);
                }
                else if (ending.IsFinal)
                {
                    Add(delta, CounterProperty(ending.Status), 1);
                }
            }

            try
            {
                await SubmitCountedAsync(table, counters, tally, actions, delta);
                return;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                batch = await UnchangedAsync(table, batch, b => b.Claimed.Claim);
                if (attempt >= MaxConflicts && batch.Count > 0)
                {
                    // Still claimed and unrecorded: once the claims expire the messages are sent again (same ids) and counted then.
                    _logger.LogWarning("Outbox: {Count} messages could not be recorded after {Attempts} attempts on a busy shard", batch.Count, attempt);
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), _time, CancellationToken.None);
            }
        }
    }

    private static void Add(Dictionary<string, long> delta, string name, long by) => delta[name] = delta.GetValueOrDefault(name) + by;

    private IEnumerable<TableTransactionAction> ActionsOf(Ending ending)
    {
        var marker = ending.Claimed.Marker;
        if (!ending.IsFinal)
        {
            yield return new(TableTransactionActionType.UpdateMerge, new TableEntity(marker.PartitionKey, marker.RowKey)
            {
                ["Status"] = ending.Status,
                ["Attempts"] = ending.Attempts,
                ["LastError"] = ending.Error,
                ["NextAttemptAt"] = ending.NextAttemptAt,
            }, ending.Claimed.Claim);
            yield break;
        }

        var record = new TableEntity(marker.PartitionKey, RecordPrefix + marker.RowKey[2..])
        {
            ["Key"] = marker.GetString("Key"),
            ["Recipient"] = marker.GetString("Recipient"),
            ["Status"] = ending.Status,
            ["Attempts"] = ending.Attempts,
            ["CompletedAt"] = _time.GetUtcNow(),
            ["LastError"] = ending.Error,
        };
        if (ending.Channel is { } sentBy)
        {
            record["Channel"] = sentBy.ToString();
        }

        yield return new(TableTransactionActionType.UpsertMerge, record);
        yield return new(TableTransactionActionType.Delete, new TableEntity(marker.PartitionKey, marker.RowKey), ending.Claimed.Claim);
        if (marker.GetString("Recipient") is { } recipient)
        {
            yield return new(TableTransactionActionType.UpsertReplace, IndexRow(marker.PartitionKey, recipient, marker.RowKey[2..], ending.Listing is not null));
        }

        if (ending.Listing is { } listing)
        {
            yield return new(TableTransactionActionType.UpsertReplace, listing);
        }
    }

    /// <summary>
    /// How the messages of each of <paramref name="tallies"/> ended, how many are being sent or wait for a retry, and
    /// how many are still to be sent, keyed by tally (a tally nothing was queued for is absent): from the counters
    /// alone (which erasure does not lower; an erased recipient's unsent messages are no longer pending). Each
    /// counter is read by its key, two per shard and tally, so the cost follows the number of tallies, never the
    /// number of messages or the size of the table.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeliveryCounts>> CountsAsync(IReadOnlyCollection<string> tallies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tallies);
        var tables = await ShardTablesAsync(cancellationToken);
        string[] names = [.. Outcomes.Select(CounterProperty), SendingCount, RetryingCount, ForgottenCount, QueuedCount];
        string[] columns = [FirstQueuedAt, .. names];
        var reads = tallies.Distinct(StringComparer.Ordinal).SelectMany(tally => Enumerable.Range(0, Shards).SelectMany(shard => new[]
        {
            (Tally: tally, Row: tables[shard].FindAsync(ShardName(shard), CounterPrefix + RowKeyOf(tally), columns, cancellationToken)),
            (Tally: tally, Row: tables[shard].FindAsync(ShardName(shard), CounterPrefix + RowKeyOf(tally) + QueuedSuffix, columns, cancellationToken)),
        })).ToList();
        await Task.WhenAll(reads.Select(r => r.Row));
        var sums = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var firsts = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (tally, read) in reads)
        {
            if (await read is not { } row)
            {
                continue;
            }

            var sum = sums.TryGetValue(tally, out var found) ? found : sums[tally] = new long[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                sum[i] += row.GetCount(names[i]) ?? 0;
            }

            if (row.GetDateTimeOffset(FirstQueuedAt) is { } at && (!firsts.TryGetValue(tally, out var earlier) || at < earlier))
            {
                firsts[tally] = at;
            }
        }

        return sums.ToDictionary(s => s.Key, s =>
        {
            var c = s.Value;
            var ended = c[0] + c[1] + c[2] + c[3] + c[4];
            var pending = Math.Max(0, c[8] - ended - c[7]);
            return new DeliveryCounts((int)c[0], (int)c[1], (int)c[2], (int)c[3], (int)pending, (int)c[4], (int)Math.Max(0, c[5]), (int)Math.Max(0, c[6]), (int)c[8], firsts.TryGetValue(s.Key, out var first) ? first : null);
        }, StringComparer.Ordinal);
    }

    private static string CounterProperty(string outcome) => string.Concat(outcome.Split('-').Select(word => char.ToUpperInvariant(word[0]).ToString() + word[1..]));

    /// <summary>What makes a message poison: anything but storage being away or a cancellation, which end the run and are retried.</summary>
    private static bool IsPoison(Exception e) => e is not (StorageUnavailableException or OperationCanceledException or OutOfMemoryException);

    /// <summary>One page of the messages set aside, shard by shard (see <see cref="SetAsideListing"/>).</summary>
    public async Task<SetAsideList> SetAsidePageAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var tables = await ShardTablesAsync(cancellationToken);
        var queries = Enumerable.Range(0, Shards).Select(shard => (tables[shard], Tables.RowKeyPrefixFilter(ShardName(shard), ListingPrefix))).ToList();
        var page = await SequencedQueries.QueryPageAsync(queries, SetAsideColumns, pageSize, continuationToken, cancellationToken);
        return new SetAsideList([.. page.Entities.Select(row => new SetAsideMessage(
            row.GetString("Key") ?? row.RowKey[2..], row.GetString("Kind"), row.GetString("Channel"), row.GetInt32("Attempts") ?? 0, row.GetString("Reason") ?? "", row.GetDateTimeOffset("SetAsideAt")))], page.ContinuationToken);
    }

    /// <summary>
    /// Sends one message; null when delivered, else why not. The reason is logged and stored, so the recipient's
    /// address is taken out of it (relays and providers like to quote it).
    /// </summary>
    private async Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken)
    {
        var channel = _channels.FirstOrDefault(c => c.Channel == message.Channel);
        if (channel is null)
        {
            return $"No {message.Channel} channel is configured.";
        }

        string? error;
        try
        {
            error = await channel.SendAsync(message, messageId, cancellationToken);
        }
        catch (Exception e) when (e is MailKit.CommandException or MailKit.ProtocolException or MailKit.Security.AuthenticationException or MailKit.Security.SslHandshakeException
            or System.Net.Sockets.SocketException or HttpRequestException or UnsafeWebhookException or InvalidOperationException or IOException or FormatException or JsonException or KeyNotFoundException)
        {
            error = e.Message;
        }

        return error?.Replace(message.Address, "[recipient]", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>One page of the deliveries whose keys start with <paramref name="keyPrefix"/>, pending then done, shard by shard.</summary>
    public async Task<DeliveryPage> DeliveryPageAsync(string keyPrefix, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var tables = await ShardTablesAsync(cancellationToken);
        var page = await SequencedQueries.QueryPageAsync(DeliveryQueries(tables, keyPrefix), DeliveryColumns, pageSize, continuationToken, cancellationToken);
        return new DeliveryPage([.. page.Entities.Select(ToDelivery)], page.ContinuationToken);
    }

    /// <summary>The queries of one key prefix's deliveries: in each shard, the pending markers and then the records.</summary>
    private static List<(TableClient, string)> DeliveryQueries(TableClient[] tables, string keyPrefix) =>
        [.. Enumerable.Range(0, Shards).SelectMany(shard => RowStates.Select(state => (tables[shard], Tables.RowKeyPrefixFilter(ShardName(shard), state + RowKeyOf(keyPrefix)))))];

    /// <summary>The table of shard <paramref name="shard"/>, once what the legacy single table held has been moved to the shards' own (see <see cref="LegacyOutbox"/>).</summary>
    public async Task<TableClient> ShardTableAsync(int shard, CancellationToken cancellationToken)
    {
        await _legacy.MovedAsync(cancellationToken);
        return await _storage.TableAsync(TableName(shard), cancellationToken);
    }

    private async Task<TableClient[]> ShardTablesAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(Enumerable.Range(0, Shards).Select(shard => ShardTableAsync(shard, cancellationToken)));

    /// <summary>
    /// Deletes every message and delivery record of <paramref name="recipient"/> (erasure); returns how many went.
    /// A recipient's messages are all in the recipient's shard (<see cref="ShardOf"/>): its records are found there by
    /// key through its index rows, its pending messages among that shard's pending markers, so the cost follows what
    /// the recipient has and what one shard still has to send, not the size of the outbox. An unsent message of a
    /// tally leaves its counts as no longer pending.
    /// </summary>
    public async Task<int> ForgetRecipientAsync(string recipient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var shard = ShardOf(recipient);
        var table = await ShardTableAsync(shard, cancellationToken);
        var partition = ShardName(shard);
        var prefix = IndexKeyPrefix(recipient);
        var deleted = 0;
        await foreach (var index in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(partition, prefix), ["Listed"], cancellationToken: cancellationToken))
        {
            var key = index.RowKey[prefix.Length..];
            deleted += await table.RemoveAsync(partition, RecordPrefix + key, cancellationToken: cancellationToken) ? 1 : 0;
            if (index.GetBoolean("Listed") == true)
            {
                deleted += await table.RemoveAsync(partition, ListingPrefix + key, cancellationToken: cancellationToken) ? 1 : 0;
            }

            await table.RemoveAsync(partition, index.RowKey, cancellationToken: cancellationToken);
        }

        var counters = new ShardCounters(table, partition);
        var pending = Tables.And(Tables.RowKeyPrefixFilter(partition, PendingPrefix), TableClient.CreateQueryFilter($"Recipient eq {recipient}"));
        await foreach (var marker in table.QueryRowsAsync(pending, ["Tally", "Status"], cancellationToken: cancellationToken))
        {
            deleted += await ForgetPendingAsync(table, counters, marker) ? 1 : 0;
        }

        return deleted;
    }

    /// <summary>Deletes one pending marker, counting it as forgotten (and no longer being sent or waiting for a retry) in its tally, in one transaction.</summary>
    private static async Task<bool> ForgetPendingAsync(TableClient table, ShardCounters counters, TableEntity marker)
    {
        for (var attempt = 1; attempt <= MaxConflicts; attempt++)
        {
            var status = marker.GetString("Status");
            var delta = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [ForgottenCount] = 1,
                [SendingCount] = status == Sending ? -1 : 0,
                [RetryingCount] = status == Retry ? -1 : 0,
            };
            try
            {
                await SubmitCountedAsync(table, counters, marker.GetString("Tally"), [new(TableTransactionActionType.Delete, new TableEntity(marker.PartitionKey, marker.RowKey), marker.ETag)], delta);
                return true;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                if (await table.FindAsync(marker.PartitionKey, marker.RowKey, ["Tally", "Status"], CancellationToken.None) is not { } again)
                {
                    // Sent or forgotten meanwhile.
                    return false;
                }

                marker = again;
            }
        }

        // Still pending under a busy counter: deleted all the same (the pending count then keeps it).
        return await table.RemoveAsync(marker.PartitionKey, marker.RowKey, cancellationToken: CancellationToken.None);
    }

    private static Delivery ToDelivery(TableEntity row) => new(
        row.GetString("Key") ?? row.RowKey[2..],
        row.GetString("Recipient"),
        row.GetString("Channel")?.ToLowerInvariant(),
        row.GetString("Status") ?? Queued,
        row.GetInt32("Attempts") ?? 0,
        row.GetString("LastError"),
        row.RowKey.StartsWith(PendingPrefix, StringComparison.Ordinal) ? row.GetDateTimeOffset("NextAttemptAt") : null,
        row.GetDateTimeOffset("CompletedAt"));

    private static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, attempts - 1)));

    public static string ShardName(int shard) => "o" + shard.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>Keys name crises and recipients; anything a table key forbids is replaced.</summary>
    public static string RowKeyOf(string key) =>
        string.Concat(key.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c));

    public void Dispose()
    {
        foreach (var gate in _gates.Values)
        {
            gate.Slots.Dispose();
        }
    }

    /// <summary>A claimed marker, the ETag of the claim, and the attempt the claim counts.</summary>
    private sealed record Claimed(TableEntity Marker, ETag Claim, int Attempts);

    /// <summary>
    /// How a claimed message ended: final (sent, failed, quarantined, cancelled, set aside: the marker goes, the record
    /// stays), to retry at <see cref="NextAttemptAt"/>, or given back unsent as it was.
    /// </summary>
    private sealed record Ending(Claimed Claimed, string Status, int Attempts, string? Error, OutboxChannel? Channel = null, DateTimeOffset? NextAttemptAt = null, bool GivenBack = false, TableEntity? Listing = null)
    {
        public bool IsFinal => NextAttemptAt is null && !GivenBack;

        /// <summary>The actions recording it takes: record, marker and index row, and the listing of one set aside; or the marker alone.</summary>
        public int Actions => IsFinal ? 2 + (Claimed.Marker.GetString("Recipient") is null ? 0 : 1) + (Listing is null ? 0 : 1) : 1;
    }

    /// <summary>What a run did, and how much of its budget is left.</summary>
    private sealed class RunTally(int max)
    {
        private int _left = max;
        private int _sent, _retried, _failed, _skipped, _setAside;

        public int Sent => _sent;

        public int Retried => _retried;

        public int Failed => _failed;

        public int Skipped => _skipped;

        public int SetAside => _setAside;

        /// <summary>Takes up to <paramref name="wanted"/> messages from the budget; how many it may send.</summary>
        public int Take(int wanted)
        {
            while (true)
            {
                var left = Volatile.Read(ref _left);
                var taken = Math.Min(left, wanted);
                if (taken <= 0 || Interlocked.CompareExchange(ref _left, left - taken, left) == left)
                {
                    return Math.Max(0, taken);
                }
            }
        }

        public void Count(Ending? ending)
        {
            switch (ending)
            {
                case null or { GivenBack: true } or { Status: Cancelled }: Interlocked.Increment(ref _skipped); break;
                case { Status: Retry }: Interlocked.Increment(ref _retried); break;
                case { Status: "sent" }: Interlocked.Increment(ref _sent); break;
                case { Status: Outbox.SetAside }: Interlocked.Increment(ref _setAside); break;
                default: Interlocked.Increment(ref _failed); break;
            }
        }
    }

    /// <summary>One channel's limit on sends at once, and how long it pauses after a provider asked to slow down.</summary>
    private sealed class ChannelGate(int limit)
    {
        private long _pausedUntilTicks;

        public SemaphoreSlim Slots { get; } = new(limit);

        public DateTimeOffset? PausedUntil(TimeProvider time)
        {
            var until = Interlocked.Read(ref _pausedUntilTicks);
            return until > time.GetUtcNow().UtcTicks ? new DateTimeOffset(until, TimeSpan.Zero) : null;
        }

        /// <summary>Pauses until <paramref name="until"/> at least; when the pause now ends.</summary>
        public DateTimeOffset Pause(DateTimeOffset until)
        {
            var ticks = until.UtcTicks;
            long current;
            while ((current = Interlocked.Read(ref _pausedUntilTicks)) < ticks && Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current) != current)
            {
                // Another sender paused it meanwhile: compare again.
            }

            return new DateTimeOffset(Math.Max(current, ticks), TimeSpan.Zero);
        }
    }

    /// <summary>
    /// The counter rows of one shard's tallies as this run last read or wrote them, with their ETags, so that a run
    /// that is alone in its shard reads each counter once; a counter changed by someone else is read again.
    /// </summary>
    private sealed class ShardCounters(TableClient table, string partition)
    {
        private readonly Dictionary<string, TableEntity> _rows = new(StringComparer.Ordinal);

        public async Task<TableTransactionAction> ActionAsync(string tally, Dictionary<string, long> delta)
        {
            var key = CounterPrefix + RowKeyOf(tally);
            if (!_rows.TryGetValue(tally, out var row))
            {
                row = await table.FindAsync(partition, key, cancellationToken: CancellationToken.None) ?? new TableEntity(partition, key);
                lock (_rows)
                {
                    _rows[tally] = row;
                }
            }

            var next = new TableEntity(partition, key) { ["Tally"] = tally };
            foreach (var (name, by) in delta)
            {
                next[name] = (row.GetCount(name) ?? 0) + by;
            }

            return row.ETag == default ? new(TableTransactionActionType.Add, next) : new(TableTransactionActionType.UpdateMerge, next, row.ETag);
        }

        public void Written(string tally, TableTransactionAction action, ETag etag)
        {
            lock (_rows)
            {
                var row = _rows.TryGetValue(tally, out var known) ? known : _rows[tally] = new TableEntity(partition, action.Entity.RowKey);
                foreach (var (name, value) in (TableEntity)action.Entity)
                {
                    row[name] = value;
                }

                row.ETag = etag;
            }
        }

        public void Forget(string tally)
        {
            lock (_rows)
            {
                _rows.Remove(tally);
            }
        }
    }
}
