using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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
/// The durable outbox, in 16 shards (a table and partition each). A message queued alone has a pending marker
/// <c>p|{key}</c> while undelivered and a permanent record <c>r|{key}</c> once it is done. Messages queued in batches
/// (a fan-out to every subscriber) are held by bundle rows of up to 96: a pending bundle <c>q|{first key}|b</c>,
/// claimed, sent and recorded as one row, and once sent a record bundle <c>r|{first key}|b</c> of those sent; a bundled
/// message that needs a retry, ends otherwise or is handed back leaves the bundle for a marker or record of its own.
/// So a surge costs a few storage writes per hundred messages, not several per message. A message with a recipient
/// also has an index row <c>x|{recipient}|{key}</c> (naming its bundle, if any), so erasure finds the recipient's
/// messages by key. A tally's counters are rows <c>n|{tally}</c> (how its messages ended, and how many are being sent
/// or wait for a retry) and <c>n|{tally}queued</c> (how many were queued, written by the queuer, so the two never
/// contend) of each shard, each read by its key. Every change to markers and bundles is an entity-group transaction
/// per shard that carries the counters it changes, so the counts move exactly with the messages.
/// Senders read the due rows of a shard a window at a time, claim a bundle, or up to 99 markers, in one ETag-guarded
/// transaction (two instances never send the same message at once), send them in parallel within per-channel limits,
/// and record how they ended in a few transactions. A claim left by a crashed run expires and the message is sent
/// again with the same id (webhook-id / Message-ID), which receivers use to recognise the repeat.
/// </summary>
public sealed class Outbox : IDisposable
{
    public const int Shards = 16;

    /// <summary>The most messages <see cref="EnqueueBatchAsync"/> queues at once: with an index row each, up to two bundles, their count and the checkpoint, one transaction.</summary>
    public const int MaxBatch = 96;

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

    /// <summary>
    /// Where pending bundles are kept: beside the pending markers (so one range query reads both), yet outside
    /// <c>p|</c>, which an instance still running the version before bundles reads and could not make sense of.
    /// </summary>
    private const string BundlePrefix = "q|";
    private const string RecordPrefix = "r|";

    /// <summary>Just past the pending bundles: the due rows are the keys from <see cref="PendingPrefix"/> up to here (nothing else sorts between).</summary>
    private const string DueUpperBound = "q}";
    private const string IndexPrefix = "x|";
    private const string ListingPrefix = "s|";
    private const string CounterPrefix = "n|";

    private const string QueuedSuffix = "queued";
    private const string SealedSuffix = "sealed";

    /// <summary>How a bundle's row key ends (see <see cref="EnqueueBatchAsync"/>), and what its row and its messages' index rows hold.</summary>
    private const string BundleSuffix = "|b";
    private const string EntriesProperty = "Entries";
    private const string CountProperty = "Count";
    private const string BundleProperty = "Bundle";
    private const string ClaimIdProperty = "ClaimId";

    /// <summary>The most characters of entries one bundle holds: well within a property's limit once outcomes are added to make its record.</summary>
    private const int MaxBundleChars = 24_000;

    private static readonly JsonSerializerOptions BundleJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault };
    private static readonly string[] RowStates = [PendingPrefix, BundlePrefix, RecordPrefix];

    /// <summary>The final outcomes counted per tally, in the order <see cref="DeliveryCounts"/> holds them.</summary>
    private static readonly string[] Outcomes = ["sent", "failed", "quarantined", Cancelled, SetAside];
    private const string SendingCount = "Sending";
    private const string RetryingCount = "Retrying";
    private const string ForgottenCount = "Forgotten";
    private const string QueuedCount = "Queued";
    private const string FirstQueuedAt = "FirstQueuedAt";

    /// <summary>The counters in the order <see cref="CountsAsync"/> sums them: the outcomes, then sending, retrying, forgotten, queued.</summary>
    private static readonly string[] CounterNames = [.. Outcomes.Select(CounterProperty), SendingCount, RetryingCount, ForgottenCount, QueuedCount];
    private static readonly string[] CounterColumns = [FirstQueuedAt, .. CounterNames];

    /// <summary>Markers claimed per transaction (one more action carries the counters).</summary>
    private const int ClaimBatch = 99;

    /// <summary>Due markers read ahead, and prepared for rendering together (see <see cref="IDeferredMessages.PrepareAsync"/>), per shard.</summary>
    private const int WindowSize = 990;
    private const int MaxConflicts = 10;
    private const int MaxReasonLength = 1000;
    private static readonly string[] DeliveryColumns = ["Key", "Recipient", "Channel", "Status", "Attempts", "LastError", "NextAttemptAt", "CompletedAt", EntriesProperty];
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
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
    /// Queues up to <see cref="MaxBatch"/> deferred messages of one kind and one tally (or none) in shard
    /// <paramref name="shard"/> and, in the same transaction, counts them in the tally's queued row and merges
    /// <paramref name="checkpoint"/> (a row of the same shard) if it still has <paramref name="checkpointETag"/>: the
    /// progress of whoever queues them is recorded with the messages and their count, all or nothing. The messages
    /// are held in one or two bundle rows, each with an index row per recipient. Returns the checkpoint's new ETag.
    /// </summary>
    public async Task<ETag> EnqueueBatchAsync(int shard, IReadOnlyList<DeferredMessage> messages, TableEntity checkpoint, ETag checkpointETag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (messages.Count > MaxBatch)
        {
            throw new ArgumentException($"One batch holds at most {MaxBatch} messages.", nameof(messages));
        }

        var tallies = messages.Select(m => m.Tally).Distinct(StringComparer.Ordinal).ToList();
        if (tallies.Count > 1 || messages.Select(m => m.Kind).Distinct(StringComparer.Ordinal).Skip(1).Any())
        {
            throw new ArgumentException("One batch holds messages of one kind and one tally.", nameof(messages));
        }

        var table = await ShardTableAsync(shard, cancellationToken);
        var partition = ShardName(shard);
        var actions = new List<TableTransactionAction>();
        foreach (var bundle in Bundled(messages))
        {
            actions.Add(new(TableTransactionActionType.Add, PendingBundle(partition, bundle)));
            var bundleKey = BundleKeyOf(bundle);
            actions.AddRange(bundle.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(partition, IndexKeyPrefix(m.Recipient) + RowKeyOf(m.Key)) { ["Listed"] = false, [BundleProperty] = bundleKey })));
        }

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

    /// <summary>The messages split into bundles whose entries fit <see cref="MaxBundleChars"/>, in key order.</summary>
    private static List<List<DeferredMessage>> Bundled(IReadOnlyList<DeferredMessage> messages)
    {
        var bundles = new List<List<DeferredMessage>>();
        var size = 0;
        foreach (var message in messages)
        {
            _ = TallyOf(message);
            var entry = JsonSerializer.Serialize(new BundleEntry(message.Key, message.Recipient, message.Reference), BundleJson).Length + 1;
            if (bundles.Count == 0 || size + entry > MaxBundleChars)
            {
                bundles.Add([]);
                size = 0;
            }

            bundles[^1].Add(message);
            size += entry;
        }

        return bundles;
    }

    private TableEntity PendingBundle(string partition, List<DeferredMessage> bundle)
    {
        var row = new TableEntity(partition, BundlePrefix + BundleKeyOf(bundle))
        {
            ["Kind"] = bundle[0].Kind,
            [CountProperty] = bundle.Count,
            [EntriesProperty] = JsonSerializer.Serialize(bundle.Select(m => new BundleEntry(m.Key, m.Recipient, m.Reference)), BundleJson),
        };
        if (bundle[0].Tally is { } tally)
        {
            row["Tally"] = tally;
        }

        foreach (var (name, value) in Pending([]))
        {
            row[name] = value;
        }

        return row;
    }

    /// <summary>A bundle's row key after its state: its first message's, marked as a bundle (no message key ends so).</summary>
    private static string BundleKeyOf(List<DeferredMessage> bundle) => RowKeyOf(bundle[0].Key) + BundleSuffix;

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
        if (TallyOf(message) is { } tally)
        {
            data["Tally"] = tally;
        }

        return data;
    }

    private static string? TallyOf(DeferredMessage message) => message.Tally is not { } tally || message.Key.StartsWith(tally, StringComparison.Ordinal)
        ? message.Tally
        : throw new ArgumentException($"The tally of {message.Key} is not a prefix of its key.", nameof(message));

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

    /// <summary>Whether a row is a delivery record or a pending marker.</summary>
    internal static bool IsRecordOrMarker(string rowKey) => rowKey.StartsWith(RecordPrefix, StringComparison.Ordinal) || rowKey.StartsWith(PendingPrefix, StringComparison.Ordinal);

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
        var due = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {PendingPrefix} and RowKey lt {DueUpperBound} and NextAttemptAt le {now}");
        var window = new List<TableEntity>();
        var messages = 0;
        await foreach (var marker in table.QueryRowsAsync(due, maxPerPage: Tables.MaxPageSize, cancellationToken: cancellationToken))
        {
            if (marker.GetString("Status") == Sending && marker.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout)
            {
                run.Skip(MessagesIn(marker));
                continue;
            }

            window.Add(marker);
            messages += MessagesIn(marker);
            if (messages >= WindowSize)
            {
                if (!await SendWindowAsync(table, counters, window, run, cancellationToken))
                {
                    return;
                }

                window.Clear();
                messages = 0;
            }
        }

        if (window.Count > 0)
        {
            await SendWindowAsync(table, counters, window, run, cancellationToken);
        }
    }

    /// <summary>
    /// Sends a window of due markers: a bundle claimed and sent on its own, other markers claimed a batch of one tally
    /// at a time; false when the run should stop (budget spent, cancelled).
    /// </summary>
    private async Task<bool> SendWindowAsync(TableClient table, ShardCounters counters, List<TableEntity> window, RunTally run, CancellationToken cancellationToken)
    {
        var entries = window.Where(IsBundle).ToDictionary(m => m.RowKey, EntriesOf, StringComparer.Ordinal);
        var render = await RenderersAsync([.. window.SelectMany(m => entries.TryGetValue(m.RowKey, out var bundled) ? Unbundled(m, bundled, 0) : [m])]);
        var start = 0;
        while (start < window.Count)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            if (IsBundle(window[start]))
            {
                var size = MessagesIn(window[start]);
                var granted = run.Take(size);
                if (granted == 0)
                {
                    return false;
                }

                // A bundle is sent whole: the budget is a bound of about this many.
                await SendBundleAsync(table, counters, window[start], entries[window[start].RowKey], render, run, cancellationToken);
                if (granted < size)
                {
                    return false;
                }

                start++;
                continue;
            }

            var tally = window[start].GetString("Tally");
            var end = start + 1;
            while (end < window.Count && end - start < ClaimBatch && !IsBundle(window[end]) && window[end].GetString("Tally") == tally)
            {
                end++;
            }

            var allowed = run.Take(end - start);
            if (allowed == 0)
            {
                return false;
            }

            var claimed = await ClaimAsync(table, counters, tally, window.GetRange(start, allowed));
            var (endings, unavailable) = await DeliverAllAsync(claimed, render, cancellationToken);
            var done = endings.OfType<Ending>().ToList();
            await RecordAsync(table, counters, tally, done);
            run.Count(done);
            if (unavailable is not null)
            {
                throw unavailable;
            }

            if (allowed < end - start)
            {
                return false;
            }

            start = end;
        }

        return true;
    }

    private static bool IsBundle(TableEntity row) => row.RowKey.EndsWith(BundleSuffix, StringComparison.Ordinal);

    private static int MessagesIn(TableEntity marker) => IsBundle(marker) ? marker.GetInt32(CountProperty) ?? 1 : 1;

    /// <summary>Leaves a bundle row holding only <paramref name="kept"/> (its claim and state untouched), guarded by <paramref name="etag"/>; deletes it when nothing is kept.</summary>
    private static TableTransactionAction Keeping(string partition, string rowKey, List<BundleEntry> kept, ETag etag)
    {
        var row = new TableEntity(partition, rowKey);
        if (kept.Count == 0)
        {
            return new(TableTransactionActionType.Delete, row, etag);
        }

        row[EntriesProperty] = JsonSerializer.Serialize(kept, BundleJson);
        row[CountProperty] = kept.Count;
        return new(TableTransactionActionType.UpdateMerge, row, etag);
    }

    private static List<BundleEntry> EntriesOf(TableEntity row) =>
        JsonSerializer.Deserialize<List<BundleEntry>>(row.GetString(EntriesProperty) ?? "[]", BundleJson) ?? [];

    /// <summary>
    /// The messages of a bundle as markers of their own (not stored): what sending one needs, with the bundle's state
    /// and <paramref name="attempts"/>; the key after the state is the message's, so its id is as if queued alone.
    /// </summary>
    private static List<TableEntity> Unbundled(TableEntity bundle, List<BundleEntry> entries, int attempts) =>
        [.. entries.Select(e =>
        {
            var marker = MarkerOf(bundle, e);
            marker["Status"] = bundle.GetString("Status");
            marker["Attempts"] = attempts;
            marker["NextAttemptAt"] = bundle.GetDateTimeOffset("NextAttemptAt");
            return marker;
        })];

    /// <summary>A bundled message's marker, without its state: what making the message needs, from its entry and its bundle.</summary>
    private static TableEntity MarkerOf(TableEntity bundle, BundleEntry entry)
    {
        var marker = new TableEntity(bundle.PartitionKey, PendingPrefix + RowKeyOf(entry.Key))
        {
            ["Key"] = entry.Key,
            ["Kind"] = bundle.GetString("Kind"),
            ["Ref"] = entry.Reference,
            ["Recipient"] = entry.Recipient,
        };
        if (bundle.GetString("Tally") is { } tally)
        {
            marker["Tally"] = tally;
        }

        return marker;
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
    /// Sends claimed messages in parallel within the channels' limits: how each ended, in their order (null for one
    /// left claimed because storage went away while making it, which is then thrown once the others are recorded). A
    /// send once started is finished (each sender has its own timeout); a message not yet started when the run is
    /// cancelled is given back as it was.
    /// </summary>
    private async Task<(Ending?[] Endings, StorageUnavailableException? Unavailable)> DeliverAllAsync(List<Claimed> claimed, Func<TableEntity, Task<Rendering>> render, CancellationToken cancellationToken)
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
        return (endings, unavailable);
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
            var actions = batch.SelectMany(ActionsOf).ToList();
            var delta = DeltaOf(batch);
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

    /// <summary>How recording <paramref name="endings"/> moves their tally's counters: none is being sent any more; each to retry waits, each final one counts its outcome.</summary>
    private static Dictionary<string, long> DeltaOf(IEnumerable<Ending> endings)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ending in endings)
        {
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

        return delta;
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

        yield return new(TableTransactionActionType.UpsertMerge, RecordOf(ending));
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

    /// <summary>The record of a message that ended: how, after how many attempts, when, sent by which channel.</summary>
    private TableEntity RecordOf(Ending ending)
    {
        var marker = ending.Claimed.Marker;
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

        return record;
    }

    /// <summary>
    /// Claims a bundle, sends its messages and records how they ended. A bundle changed meanwhile is read again; one
    /// another sender claimed meanwhile is left to it.
    /// </summary>
    private async Task SendBundleAsync(TableClient table, ShardCounters counters, TableEntity bundle, List<BundleEntry> entries, Func<TableEntity, Task<Rendering>> render, RunTally run, CancellationToken cancellationToken)
    {
        if (await ClaimBundleAsync(table, counters, bundle, entries) is not { } claim)
        {
            run.Skip(MessagesIn(bundle));
            return;
        }

        var claimed = Unbundled(claim.Row, claim.Entries, claim.Attempts).Select(m => new Claimed(m, claim.ETag, claim.Attempts)).ToList();
        var (endings, unavailable) = await DeliverAllAsync(claimed, render, cancellationToken);
        await RecordBundleAsync(table, counters, claim, endings);
        run.Count(endings.OfType<Ending>());
        if (unavailable is not null)
        {
            throw unavailable;
        }
    }

    /// <summary>
    /// Claims a bundle in one write guarded by its ETag, with its tally's count of messages being sent, under a claim id
    /// that erasure keeps when it takes a message out of the bundle; null when another sender holds it or it is gone.
    /// </summary>
    private async Task<BundleClaim?> ClaimBundleAsync(TableClient table, ShardCounters counters, TableEntity bundle, List<BundleEntry> entries)
    {
        for (var attempt = 1; attempt <= MaxConflicts; attempt++)
        {
            var now = _time.GetUtcNow();
            var attempts = (bundle.GetInt32("Attempts") ?? 0) + 1;
            var id = Guid.NewGuid().ToString("N");
            var claim = new TableEntity(bundle.PartitionKey, bundle.RowKey) { ["Status"] = Sending, ["ClaimedAt"] = now, ["Attempts"] = attempts, [ClaimIdProperty] = id };
            var delta = new Dictionary<string, long>(StringComparer.Ordinal) { [SendingCount] = bundle.GetString("Status") == Sending ? 0 : MessagesIn(bundle) };
            try
            {
                var etags = await SubmitCountedAsync(table, counters, bundle.GetString("Tally"), [new(TableTransactionActionType.UpdateMerge, claim, bundle.ETag)], delta);
                return new BundleClaim(bundle, entries, etags[0], id, attempts, now);
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                if (await table.FindAsync(bundle.PartitionKey, bundle.RowKey, cancellationToken: CancellationToken.None) is not { } again
                    || (again.GetString("Status") == Sending && again.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout))
                {
                    return null;
                }

                bundle = again;
                entries = EntriesOf(again);
            }
        }

        return null;
    }

    /// <summary>
    /// Records how the messages of a claimed bundle ended, guarded by the claim, with the tally's counters: the sent and
    /// the plainly cancelled in one record row of the bundle (<c>r|{bundle}</c>, which erasure edits), any other outcome
    /// in a record of its own (and its listing when set aside); a message to retry, given back, or left claimed because
    /// storage went away while it was made, in a marker of its own. Then the bundle row goes. When that is more than one
    /// transaction holds, each transaction also takes the messages it records out of the bundle row, so a crash between
    /// them records each message once. When erasure took messages out meanwhile (keeping the claim) they are left out; a
    /// claim lost meanwhile (expired and taken over, or the bundle erased) writes nothing more.
    /// </summary>
    private async Task RecordBundleAsync(TableClient table, ShardCounters counters, BundleClaim claim, Ending?[] endings)
    {
        var bundle = claim.Row;
        var tally = bundle.GetString("Tally");
        var left = claim.Entries.Select((entry, i) => (Entry: entry, Ending: endings[i])).ToList();
        var etag = claim.ETag;
        for (var conflicts = 0; left.Count > 0;)
        {
            var plain = left.Where(l => l.Ending is { IsFinal: true, Error: null, Listing: null }).ToList();
            var actions = new List<TableTransactionAction>();
            var taken = new List<(BundleEntry Entry, Ending? Ending)>(plain);
            if (plain.Count > 0)
            {
                actions.Add(new(TableTransactionActionType.UpsertReplace, BundleRecord(bundle, plain.Select(p => p.Ending!))));
            }

            foreach (var other in left.Where(l => l.Ending is not { IsFinal: true, Error: null, Listing: null }))
            {
                var own = OwnActions(claim, other.Ending, other.Entry).ToList();
                if (actions.Count + own.Count > TransactionLimits.MaxActions - 2)
                {
                    break;
                }

                actions.AddRange(own);
                taken.Add(other);
            }

            var recorded = taken.Select(t => t.Entry.Key).ToHashSet(StringComparer.Ordinal);
            var rest = left.Where(l => !recorded.Contains(l.Entry.Key)).ToList();
            actions.Insert(0, Keeping(bundle.PartitionKey, bundle.RowKey, [.. rest.Select(r => r.Entry)], etag));
            var delta = DeltaOf(taken.Select(t => t.Ending).OfType<Ending>());
            try
            {
                var etags = await SubmitCountedAsync(table, counters, tally, actions, delta);
                etag = etags[0];
                left = rest;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                var again = await table.FindAsync(bundle.PartitionKey, bundle.RowKey, cancellationToken: CancellationToken.None);
                if (again?.GetString(ClaimIdProperty) != claim.Id)
                {
                    // Taken over once the claim expired, or erased: whoever holds it now sends and records its messages.
                    return;
                }

                if (++conflicts >= MaxConflicts)
                {
                    _logger.LogWarning("Outbox: bundle {Bundle} could not be recorded after {Attempts} attempts on a busy shard", bundle.RowKey, conflicts);
                    return;
                }

                var present = EntriesOf(again).Select(entry => entry.Key).ToHashSet(StringComparer.Ordinal);
                left = [.. left.Where(l => present.Contains(l.Entry.Key))];
                etag = again.ETag;
            }
        }
    }

    /// <summary>The record row of a bundle's messages that were sent or plainly cancelled.</summary>
    private TableEntity BundleRecord(TableEntity bundle, IEnumerable<Ending> endings)
    {
        var entries = endings.Select(e => new BundleEntry(e.Claimed.Marker.GetString("Key")!, e.Claimed.Marker.GetString("Recipient")!, null, e.Status, e.Attempts, e.Channel?.ToString())).ToList();
        var record = new TableEntity(bundle.PartitionKey, RecordPrefix + bundle.RowKey[2..])
        {
            ["Kind"] = bundle.GetString("Kind"),
            [CountProperty] = entries.Count,
            ["CompletedAt"] = _time.GetUtcNow(),
            [EntriesProperty] = JsonSerializer.Serialize(entries, BundleJson),
        };
        if (bundle.GetString("Tally") is { } tally)
        {
            record["Tally"] = tally;
        }

        return record;
    }

    /// <summary>
    /// The rows a message leaving a bundle on its own writes: its record (and, when set aside, its listing and the mark
    /// on its index row), or its own marker: to retry, given back, or still claimed (<paramref name="ending"/> null).
    /// </summary>
    private IEnumerable<TableTransactionAction> OwnActions(BundleClaim claim, Ending? ending, BundleEntry entry)
    {
        if (ending is { IsFinal: true })
        {
            yield return new(TableTransactionActionType.UpsertMerge, RecordOf(ending));
            if (ending.Listing is { } listing)
            {
                yield return new(TableTransactionActionType.UpsertMerge, new TableEntity(claim.Row.PartitionKey, IndexKeyPrefix(entry.Recipient) + RowKeyOf(entry.Key)) { ["Listed"] = true });
                yield return new(TableTransactionActionType.UpsertReplace, listing);
            }

            yield break;
        }

        var marker = MarkerOf(claim.Row, entry);
        if (ending is null)
        {
            marker["Status"] = Sending;
            marker["ClaimedAt"] = claim.At;
            marker["Attempts"] = claim.Attempts;
            marker["NextAttemptAt"] = claim.Row.GetDateTimeOffset("NextAttemptAt");
        }
        else
        {
            marker["Status"] = ending.Status;
            marker["Attempts"] = ending.Attempts;
            marker["LastError"] = ending.Error;
            marker["NextAttemptAt"] = ending.NextAttemptAt;
        }

        yield return new(TableTransactionActionType.Add, marker);
    }

    /// <summary>
    /// How the messages of each of <paramref name="tallies"/> ended, how many are being sent or wait for a retry, and
    /// how many are still to be sent, keyed by tally (a tally nothing was queued for is absent): from the counters
    /// alone (which erasure does not lower; an erased recipient's unsent messages are no longer pending). Each
    /// counter is read by its key, two per shard and tally, so the cost follows the number of tallies, never the
    /// number of messages or the size of the table. A tally of <paramref name="closed"/> (the caller knew, before
    /// this call, that nothing more will be queued for it) whose every message has ended cannot change any more: its
    /// sums are then sealed in one row (<c>n|{tally}sealed</c>, in shard 0), read instead of the shards' from then on,
    /// so the totals of a finished update, and a review of a finished crisis, cost one read per update.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeliveryCounts>> CountsAsync(IReadOnlyCollection<string> tallies, IReadOnlySet<string> closed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tallies);
        ArgumentNullException.ThrowIfNull(closed);
        var tables = await ShardTablesAsync(cancellationToken);
        var sums = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var firsts = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        void Count(string tally, TableEntity row)
        {
            var sum = sums.TryGetValue(tally, out var found) ? found : sums[tally] = new long[CounterNames.Length];
            for (var i = 0; i < CounterNames.Length; i++)
            {
                sum[i] += row.GetCount(CounterNames[i]) ?? 0;
            }

            if (row.GetDateTimeOffset(FirstQueuedAt) is { } at && (!firsts.TryGetValue(tally, out var earlier) || at < earlier))
            {
                firsts[tally] = at;
            }
        }

        var seals = tallies.Distinct(StringComparer.Ordinal).Select(tally => (Tally: tally, Row: tables[0].FindAsync(ShardName(0), SealKey(tally), CounterColumns, cancellationToken))).ToList();
        await Task.WhenAll(seals.Select(r => r.Row));
        var open = new List<string>();
        foreach (var (tally, read) in seals)
        {
            if (await read is { } row)
            {
                Count(tally, row);
            }
            else
            {
                open.Add(tally);
            }
        }

        var reads = open.SelectMany(tally => Enumerable.Range(0, Shards).SelectMany(shard => new[]
        {
            (Tally: tally, Row: tables[shard].FindAsync(ShardName(shard), CounterPrefix + RowKeyOf(tally), CounterColumns, cancellationToken)),
            (Tally: tally, Row: tables[shard].FindAsync(ShardName(shard), CounterPrefix + RowKeyOf(tally) + QueuedSuffix, CounterColumns, cancellationToken)),
        })).ToList();
        await Task.WhenAll(reads.Select(r => r.Row));
        foreach (var (tally, read) in reads)
        {
            if (await read is { } row)
            {
                Count(tally, row);
            }
        }

        foreach (var tally in open.Where(t => closed.Contains(t) && sums.TryGetValue(t, out var sum) && Settled(sum)))
        {
            await SealAsync(tables[0], tally, sums[tally], firsts.TryGetValue(tally, out var first) ? first : null);
        }

        return sums.ToDictionary(s => s.Key, s =>
        {
            var c = s.Value;
            var pending = Math.Max(0, c[8] - Ended(c) - c[7]);
            return new DeliveryCounts((int)c[0], (int)c[1], (int)c[2], (int)c[3], (int)pending, (int)c[4], (int)Math.Max(0, c[5]), (int)Math.Max(0, c[6]), (int)c[8], firsts.TryGetValue(s.Key, out var first) ? first : null);
        }, StringComparer.Ordinal);
    }

    private static long Ended(long[] c) => c[0] + c[1] + c[2] + c[3] + c[4];

    /// <summary>Whether every message queued for a tally has ended (or was forgotten), none being sent or waiting for a retry.</summary>
    private static bool Settled(long[] c) => c[8] > 0 && c[8] == Ended(c) + c[7] && c[5] == 0 && c[6] == 0;

    private static string SealKey(string tally) => CounterPrefix + RowKeyOf(tally) + SealedSuffix;

    /// <summary>Writes the sums of a settled, closed tally in one row; readers who raced to seal it write the same values. Failing to is only a lost shortcut.</summary>
    private async Task SealAsync(TableClient table, string tally, long[] sums, DateTimeOffset? first)
    {
        var seal = new TableEntity(ShardName(0), SealKey(tally)) { ["Tally"] = tally, ["SealedAt"] = _time.GetUtcNow() };
        for (var i = 0; i < CounterNames.Length; i++)
        {
            seal[CounterNames[i]] = sums[i];
        }

        if (first is { } at)
        {
            seal[FirstQueuedAt] = at;
        }

        try
        {
            await table.UpsertAsync(seal, TableUpdateMode.Replace, CancellationToken.None);
        }
        catch (StorageException e)
        {
            _logger.LogWarning(e, "Outbox: the settled totals of {Tally} could not be sealed; they are summed from the shards until they are", tally);
        }
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

    /// <summary>
    /// One page of exactly <paramref name="pageSize"/> deliveries (fewer on the last) whose keys start with
    /// <paramref name="keyPrefix"/> (a tally, or less), pending then done, shard by shard. A bundle row holds many, so
    /// the continuation names the query, the row key it stopped at and how many of that row's deliveries were listed;
    /// <see cref="FormatException"/> when it is not one this method issued.
    /// </summary>
    public async Task<DeliveryPage> DeliveryPageAsync(string keyPrefix, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var tables = await ShardTablesAsync(cancellationToken);
        var queries = DeliveryQueries(tables, keyPrefix);
        var (position, after, skip) = ParseDeliveryCursor(continuationToken, queries.Count);
        var deliveries = new List<Delivery>(pageSize);
        for (; position < queries.Count; position++, after = null, skip = 0)
        {
            var (table, filter) = queries[position];
            if (after is not null)
            {
                filter = Tables.And(filter, skip > 0 ? TableClient.CreateQueryFilter($"RowKey ge {after}") : TableClient.CreateQueryFilter($"RowKey gt {after}"));
            }

            await foreach (var row in table.QueryRowsAsync(filter, DeliveryColumns, Math.Min(pageSize - deliveries.Count, Tables.MaxPageSize), cancellationToken))
            {
                var listed = DeliveriesOf(row, keyPrefix);
                for (var i = row.RowKey == after ? skip : 0; i < listed.Count; i++)
                {
                    if (deliveries.Count == pageSize)
                    {
                        return new DeliveryPage(deliveries, DeliveryCursor(position, row.RowKey, i));
                    }

                    deliveries.Add(listed[i]);
                }

                if (deliveries.Count == pageSize)
                {
                    return new DeliveryPage(deliveries, DeliveryCursor(position, row.RowKey, 0));
                }
            }
        }

        return new DeliveryPage(deliveries, null);
    }

    /// <summary>Where a page of deliveries stopped: the query, the row key, and how many of its deliveries were listed (0: all of them).</summary>
    private static string DeliveryCursor(int position, string rowKey, int listed) =>
        Base64Url.Encode(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{position}~{listed}~{rowKey}")));

    private static (int Position, string? After, int Skip) ParseDeliveryCursor(string? token, int queries)
    {
        if (token is null)
        {
            return (0, null, 0);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(Base64Url.Decode(token));
        }
        catch (ArgumentException)
        {
            throw new FormatException("The continuation token is not valid.");
        }

        var parts = text.Split('~', 3);
        return parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < queries
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
            && parts[2].Length > 0 && EntityLimits.IsValidKey(parts[2])
            ? (position, parts[2], skip)
            : throw new FormatException("The continuation token is not valid.");
    }

    /// <summary>The deliveries a row holds whose keys start with <paramref name="keyPrefix"/>: a marker's or a record's one, or a bundle's.</summary>
    private static List<Delivery> DeliveriesOf(TableEntity row, string keyPrefix)
    {
        if (!IsBundle(row))
        {
            return [ToDelivery(row)];
        }

        var pending = row.RowKey.StartsWith(BundlePrefix, StringComparison.Ordinal);
        return [.. EntriesOf(row).Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).Select(e => pending
            ? new Delivery(e.Key, e.Recipient, null, row.GetString("Status") ?? Queued, row.GetInt32("Attempts") ?? 0, null, row.GetDateTimeOffset("NextAttemptAt"), null)
            : new Delivery(e.Key, e.Recipient, e.Channel?.ToLowerInvariant(), e.Status ?? "sent", e.Attempts, null, null, row.GetDateTimeOffset("CompletedAt")))];
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
    /// A recipient's messages are all in the recipient's shard (<see cref="ShardOf"/>), each with an index row written
    /// with its first row (the move from the legacy table gives one to each message from before index rows), so every
    /// row of them is found by key through the index: the cost follows what the recipient has, not the size of the
    /// outbox nor how much it still has to send. An unsent message of a tally leaves its counts as no longer pending.
    /// </summary>
    public async Task<int> ForgetRecipientAsync(string recipient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var shard = ShardOf(recipient);
        var table = await ShardTableAsync(shard, cancellationToken);
        var partition = ShardName(shard);
        var prefix = IndexKeyPrefix(recipient);
        var deleted = 0;
        var counters = new ShardCounters(table, partition);
        await foreach (var index in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(partition, prefix), ["Listed", BundleProperty], cancellationToken: cancellationToken))
        {
            var key = index.RowKey[prefix.Length..];

            // A message only moves forward, each move one transaction: out of its queued bundle into the record bundle,
            // a marker or a record of its own; out of a marker into a record. So it is looked for in that order, and
            // wherever it is at each look, a later look finds it.
            var bundled = index.GetString(BundleProperty) is { } bundle
                && (await ForgetBundledAsync(table, counters, partition, BundlePrefix + bundle, key, cancellationToken)
                    || await ForgetBundledAsync(table, counters, partition, RecordPrefix + bundle, key, cancellationToken));
            if (bundled)
            {
                deleted++;
            }
            else if (await table.FindAsync(partition, PendingPrefix + key, ["Tally", "Status"], cancellationToken) is { } marker)
            {
                deleted += await ForgetPendingAsync(table, counters, marker) ? 1 : 0;
            }

            deleted += await table.RemoveAsync(partition, RecordPrefix + key, cancellationToken: cancellationToken) ? 1 : 0;
            if (index.GetBoolean("Listed") == true)
            {
                deleted += await table.RemoveAsync(partition, ListingPrefix + key, cancellationToken: cancellationToken) ? 1 : 0;
            }

            await table.RemoveAsync(partition, index.RowKey, cancellationToken: cancellationToken);
        }

        return deleted;
    }

    /// <summary>
    /// Takes the message whose row key (after its state) is <paramref name="messageRowKey"/> out of bundle row
    /// <paramref name="bundleRowKey"/>, guarded by the row's ETag; the row goes with its last message. Out of a queued
    /// bundle, the message counts as forgotten in its tally (and no longer as being sent), in the same transaction,
    /// and the bundle keeps its claim, so its sender records the others. True when the message was there.
    /// </summary>
    private static async Task<bool> ForgetBundledAsync(TableClient table, ShardCounters counters, string partition, string bundleRowKey, string messageRowKey, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxConflicts; attempt++)
        {
            if (await table.FindAsync(partition, bundleRowKey, cancellationToken: cancellationToken) is not { } row)
            {
                return false;
            }

            var entries = EntriesOf(row);
            var kept = entries.Where(e => RowKeyOf(e.Key) != messageRowKey).ToList();
            if (kept.Count == entries.Count)
            {
                return false;
            }

            var action = Keeping(partition, bundleRowKey, kept, row.ETag);
            var queued = bundleRowKey.StartsWith(BundlePrefix, StringComparison.Ordinal);
            var delta = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [ForgottenCount] = queued ? 1 : 0,
                [SendingCount] = queued && row.GetString("Status") == Sending ? -1 : 0,
            };
            try
            {
                await SubmitCountedAsync(table, counters, row.GetString("Tally"), [action], delta);
                return true;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException or AlreadyExistsException)
            {
                // Claimed, recorded or edited by another erasure meanwhile: read it again.
            }
        }

        throw new StorageUnavailableException($"The outbox row {bundleRowKey} kept changing while a recipient was being forgotten; try again.");
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

    /// <summary>
    /// One message of a bundle (<see cref="EnqueueBatchAsync"/>): its key and recipient and, while queued, the reference it
    /// is made from; once recorded, how it ended, after how many attempts, sent by which channel.
    /// </summary>
    private sealed record BundleEntry(
        [property: JsonPropertyName("k")] string Key,
        [property: JsonPropertyName("p")] string Recipient,
        [property: JsonPropertyName("f")] string? Reference = null,
        [property: JsonPropertyName("s")] string? Status = null,
        [property: JsonPropertyName("a")] int Attempts = 0,
        [property: JsonPropertyName("c")] string? Channel = null);

    /// <summary>A claimed bundle row (as it was before the claim) and its messages, the ETag, id and time of the claim, and the attempt it counts.</summary>
    private sealed record BundleClaim(TableEntity Row, List<BundleEntry> Entries, ETag ETag, string Id, int Attempts, DateTimeOffset At);

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

        public void Skip(int messages) => Interlocked.Add(ref _skipped, messages);

        public void Count(IEnumerable<Ending> endings)
        {
            foreach (var ending in endings)
            {
                Count(ending);
            }
        }

        private void Count(Ending ending)
        {
            switch (ending)
            {
                case { GivenBack: true } or { Status: Cancelled }: Interlocked.Increment(ref _skipped); break;
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
