using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Crises;

/// <summary>One entry of the audit log: who did what to a crisis when, with the state before and after.</summary>
public sealed record AuditEntry(string Id, DateTimeOffset At, string Actor, string Action, string? Before, string? After);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? ContinuationToken);

/// <summary>
/// Crises, their update timeline and their audit log, in one table partition so that every change and its audit
/// entry are written by one entity-group transaction: both or neither.
/// Row keys: <c>c|{id}</c> a crisis, <c>u|{id}|{updateId}</c> an update, <c>a|{id}|{newest-first time}|{random}</c> an audit entry,
/// <c>f|{id}|{updateId}</c> a published update whose subscribers are still to be queued for notification.
/// </summary>
public sealed class CrisisStore(CrisisStorage storage, TimeProvider time)
{
    public const string TableName = "crises";
    private const string Partition = "crises";
    private const int MaxAuditSnapshot = 30_000;

    /// <summary>The notification job of a crisis' end, beside those of its updates (whose ids are digits).</summary>
    public const string EndedFanoutId = "ended";

    public async Task<(CrisisRecord Crisis, ETag ETag)?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(Partition, CrisisKey(id), cancellationToken: cancellationToken);
        return row is null ? null : (Deserialize<CrisisRecord>(row), row.ETag);
    }

    public async Task<IReadOnlyList<CrisisRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var crises = new List<CrisisRecord>();
        await foreach (var row in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(Partition, "c|"), cancellationToken: cancellationToken))
        {
            crises.Add(Deserialize<CrisisRecord>(row));
        }

        return crises;
    }

    public async Task CreateAsync(CrisisRecord crisis, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.SubmitAsync(
        [
            new(TableTransactionActionType.Add, Row(CrisisKey(crisis.Id), crisis)),
            new(TableTransactionActionType.Add, AuditRow(crisis.Id, actor, "crisis.create", null, Json(crisis))),
        ], cancellationToken);
    }

    /// <summary>
    /// Replaces the crisis if nobody changed it since <paramref name="etag"/> was read, and audits the change in
    /// the same transaction. <see cref="ChangedMeanwhileException"/> when someone did.
    /// </summary>
    public async Task ReplaceAsync(CrisisRecord before, CrisisRecord after, ETag etag, string actor, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var table = await storage.TableAsync(TableName, cancellationToken);
        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.UpdateReplace, Row(CrisisKey(after.Id), after), etag),
            new(TableTransactionActionType.Add, AuditRow(after.Id, actor, action, Json(before), Json(after))),
        ];

        // Ending the crisis queues its "this crisis is over" job with the change itself: both happen, or neither.
        if (before.Status != CrisisStatus.Ended && after.Status == CrisisStatus.Ended)
        {
            actions.Add(new(TableTransactionActionType.Add, FanoutRow(after.Id, EndedFanoutId)));
        }

        await table.SubmitAsync(actions, cancellationToken);
    }

    /// <summary>Audits a change whose data lives elsewhere (content documents in blob storage): the snapshots name versions.</summary>
    public async Task AuditAsync(string crisisId, string actor, string action, string? before, string? after, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.InsertAsync(AuditRow(crisisId, actor, action, before, after), cancellationToken);
    }

    /// <summary>
    /// Audits, once, a change recorded elsewhere at <paramref name="at"/> (by a timer run or a request that may be
    /// repeated): the entry's key is made from the time and <paramref name="occurrenceKey"/>, which names the change,
    /// so writing it again replaces the same entry instead of adding another.
    /// </summary>
    public async Task AuditOnceAsync(string crisisId, string occurrenceKey, DateTimeOffset at, string actor, string action, string? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(occurrenceKey);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var suffix = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(occurrenceKey)))[..8];
        await table.UpsertAsync(AuditRow(crisisId, at, suffix, actor, action, null, after), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<AuditPage> AuditPageAsync(string crisisId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var entries = new List<AuditEntry>();
        var token = continuationToken;
        do
        {
            var page = await table.QueryPageAsync(Tables.RowKeyPrefixFilter(Partition, $"a|{crisisId}|"), null, pageSize - entries.Count, token, cancellationToken);
            entries.AddRange(page.Entities.Select(row => new AuditEntry(
                row.RowKey[(row.RowKey.LastIndexOf('|') + 1)..],
                row.GetDateTimeOffset("At")!.Value,
                row.GetString("Actor")!,
                row.GetString("Action")!,
                row.GetString("Before"),
                row.GetString("After"))));
            token = page.ContinuationToken;
        }
        while (token is not null && entries.Count < pageSize);

        return new AuditPage(entries, token);
    }

    public async Task<IReadOnlyList<CrisisUpdate>> ListUpdatesAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var updates = new List<CrisisUpdate>();
        await foreach (var row in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(Partition, $"u|{crisisId}|"), cancellationToken: cancellationToken))
        {
            updates.Add(Deserialize<CrisisUpdate>(row));
        }

        return updates;
    }

    public async Task<(CrisisUpdate Update, ETag ETag)?> GetUpdateAsync(string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(Partition, UpdateKey(crisisId, updateId), cancellationToken: cancellationToken);
        return row is null ? null : (Deserialize<CrisisUpdate>(row), row.ETag);
    }

    /// <summary>Adds an update with its audit entry; a published one also gets its notification job, in the same transaction.</summary>
    public async Task AddUpdateAsync(string crisisId, CrisisUpdate update, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var table = await storage.TableAsync(TableName, cancellationToken);
        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.Add, Row(UpdateKey(crisisId, update.Id), update)),
            new(TableTransactionActionType.Add, AuditRow(crisisId, actor, update.PublishedAt is null ? "update.draft" : "update.publish", null, Json(update))),
        ];
        if (update.PublishedAt is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, FanoutRow(crisisId, update.Id)));
        }

        await table.SubmitAsync(actions, cancellationToken);
    }

    /// <summary>Replaces an update with its audit entry; when this publishes it, its notification job is queued in the same transaction.</summary>
    public async Task ReplaceUpdateAsync(string crisisId, CrisisUpdate before, CrisisUpdate after, ETag etag, string actor, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var table = await storage.TableAsync(TableName, cancellationToken);
        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.UpdateReplace, Row(UpdateKey(crisisId, after.Id), after), etag),
            new(TableTransactionActionType.Add, AuditRow(crisisId, actor, action, Json(before), Json(after))),
        ];
        if (before.PublishedAt is null && after.PublishedAt is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, FanoutRow(crisisId, after.Id)));
        }

        await table.SubmitAsync(actions, cancellationToken);
    }

    /// <summary>Published updates whose subscribers are still being queued, oldest first.</summary>
    public async Task<IReadOnlyList<(string CrisisId, string UpdateId)>> PendingFanoutsAsync(CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var jobs = new List<(string, string)>();
        await foreach (var row in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(Partition, "f|"), ["CrisisId", "UpdateId"], cancellationToken: cancellationToken))
        {
            jobs.Add((row.GetString("CrisisId")!, row.GetString("UpdateId")!));
        }

        return [.. jobs.OrderBy(j => j.Item2, StringComparer.Ordinal)];
    }

    public async Task<bool> IsFanoutPendingAsync(string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        return await table.FindAsync(Partition, FanoutKey(crisisId, updateId), ["RowKey"], cancellationToken) is not null;
    }

    public async Task CompleteFanoutAsync(string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.RemoveAsync(Partition, FanoutKey(crisisId, updateId), cancellationToken: cancellationToken);
    }

    private TableEntity FanoutRow(string crisisId, string updateId) =>
        new(Partition, FanoutKey(crisisId, updateId)) { ["CrisisId"] = crisisId, ["UpdateId"] = updateId, ["QueuedAt"] = time.GetUtcNow() };

    private static string FanoutKey(string crisisId, string updateId) => $"f|{crisisId}|{updateId}";

    /// <summary>A new update id that sorts by creation time.</summary>
    public string NewUpdateId() =>
        time.GetUtcNow().UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    private static string CrisisKey(string id) => "c|" + id;

    private static string UpdateKey(string crisisId, string updateId) => $"u|{crisisId}|{updateId}";

    private static TableEntity Row<T>(string rowKey, T value)
    {
        var row = new TableEntity(Partition, rowKey);
        TableJson.Put(row, "Data", TableJson.Serialize(value));
        return row;
    }

    private TableEntity AuditRow(string crisisId, string actor, string action, string? before, string? after) =>
        AuditRow(crisisId, time.GetUtcNow(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), actor, action, before, after);

    private static TableEntity AuditRow(string crisisId, DateTimeOffset at, string suffix, string actor, string action, string? before, string? after)
    {
        var newestFirst = (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
        var row = new TableEntity(Partition, $"a|{crisisId}|{newestFirst}|{suffix}")
        {
            ["At"] = at,
            ["Actor"] = actor,
            ["Action"] = action,
            ["Before"] = Clip(before),
            ["After"] = Clip(after),
        };
        return row;
    }

    private static string? Clip(string? snapshot) =>
        snapshot is null || snapshot.Length <= MaxAuditSnapshot ? snapshot : snapshot[..MaxAuditSnapshot] + "…(truncated)";

    internal static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonBody.Options);

    private static T Deserialize<T>(TableEntity row) => TableJson.Read<T>(row, "Data");
}
