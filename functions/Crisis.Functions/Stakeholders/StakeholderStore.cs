using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Stakeholders;

/// <summary>A reminder or escalation whose handling failed, kept aside for admins with the reason.</summary>
public sealed record SetAsideEntry(string ExpectedUpdateId, DueKind Kind, int Occurrence, string Reason, DateTimeOffset SetAsideAt);

/// <summary>A due reminder or escalation, found by time: the timer reads only what is due.</summary>
public sealed record DueEntry(string RowKey, DateTimeOffset DueAt, DueKind Kind, string CrisisId, string ExpectedUpdateId, int Occurrence);

public enum DueKind
{
    Remind,
    Escalate,
}

/// <summary>
/// Stakeholders (one partition), expected updates (partitioned by crisis) and the due index: one partition
/// ordered by due time (<c>{ticks}|{kind}|{crisis}|{expected update}|{occurrence}</c>), whose rows are deleted
/// once handled, so finding what is due costs what is due, not what exists.
/// An expected update's row holds only its current occurrence; each past occurrence is a row of its own beside it
/// (<c>{id}|{number}</c>, same partition), written in the same transaction as the roll that ends it. So the row
/// the timer and the links read and write stays the same size however long the crisis runs and whatever notes
/// stakeholders leave, and never reaches the storage's 32K-character property limit.
/// </summary>
public sealed class StakeholderStore(CrisisStorage storage)
{
    public const string StakeholderTable = "stakeholders";
    public const string ExpectedUpdateTable = "expectedupdates";
    public const string DueTable = "dueindex";
    private const string StakeholderPartition = "stakeholders";
    private const string DuePartition = "due";
    private const string SetAsidePartition = "set-aside";
    private const char HistorySeparator = '|';
    private const int MaxHistoryPerTransaction = 99;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public async Task<(Stakeholder Stakeholder, ETag ETag)?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(StakeholderTable, cancellationToken);
        var row = await table.FindAsync(StakeholderPartition, id, cancellationToken: cancellationToken);
        return row is null ? null : (Read<Stakeholder>(row), row.ETag);
    }

    public async Task<IReadOnlyList<Stakeholder>> ListAsync(CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(StakeholderTable, cancellationToken);
        var list = new List<Stakeholder>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {StakeholderPartition}"), cancellationToken: cancellationToken))
        {
            list.Add(Read<Stakeholder>(row));
        }

        return list;
    }

    public async Task SaveAsync(Stakeholder stakeholder, ETag? ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stakeholder);
        var table = await storage.TableAsync(StakeholderTable, cancellationToken);
        var row = Row(StakeholderPartition, stakeholder.Id, stakeholder);
        if (ifMatch is { } etag)
        {
            await table.UpdateAsync(row, etag, TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            await table.InsertAsync(row, cancellationToken);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(StakeholderTable, cancellationToken);
        return await table.RemoveAsync(StakeholderPartition, id, cancellationToken: cancellationToken);
    }

    /// <summary>The expected update with its current occurrence only (what the timer and the links change); see <see cref="ListExpectedAsync"/> for the history.</summary>
    public async Task<(ExpectedUpdate Update, ETag ETag)?> GetExpectedAsync(string crisisId, string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        var row = await table.FindAsync(crisisId, id, cancellationToken: cancellationToken);
        return row is null ? null : (Read<ExpectedUpdate>(row), row.ETag);
    }

    /// <summary>Occurrence <paramref name="number"/> of <paramref name="update"/>: the current one, or a past one read from its own row; null when there is none.</summary>
    public async Task<Occurrence?> OccurrenceAsync(ExpectedUpdate update, int number, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Occurrences.FirstOrDefault(o => o.Number == number) is { } held)
        {
            return held;
        }

        if (number < 1 || number > update.Current.Number)
        {
            return null;
        }

        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        var row = await table.FindAsync(update.CrisisId, HistoryKey(update.Id, number), cancellationToken: cancellationToken);
        return row is null ? null : Read<Occurrence>(row);
    }

    /// <summary>Every expected update of the crisis with all its occurrences, oldest first: one query over the crisis' partition.</summary>
    public async Task<IReadOnlyList<ExpectedUpdate>> ListExpectedAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        return await AssembleAsync(table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {crisisId}"), cancellationToken: cancellationToken));
    }

    /// <summary>Every expected update owned by the stakeholder, across crises, with all occurrences (admin views; not on any hot path).</summary>
    public async Task<IReadOnlyList<ExpectedUpdate>> ListExpectedByOwnerAsync(string ownerId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        return await AssembleAsync(table.QueryRowsAsync(TableClient.CreateQueryFilter($"OwnerId eq {ownerId}"), cancellationToken: cancellationToken));
    }

    /// <summary>Puts each update's past occurrences (rows <c>{id}|{number}</c>) before its current one.</summary>
    private static async Task<IReadOnlyList<ExpectedUpdate>> AssembleAsync(IAsyncEnumerable<TableEntity> rows)
    {
        var updates = new List<ExpectedUpdate>();
        var history = new Dictionary<(string Crisis, string Id), List<Occurrence>>();
        await foreach (var row in rows)
        {
            if (row.RowKey.Split(HistorySeparator) is [var id, _])
            {
                var past = history.TryGetValue((row.PartitionKey, id), out var found) ? found : history[(row.PartitionKey, id)] = [];
                past.Add(Read<Occurrence>(row));
            }
            else
            {
                updates.Add(Read<ExpectedUpdate>(row));
            }
        }

        return [.. updates.Select(u => history.TryGetValue((u.CrisisId, u.Id), out var past)
            ? u with { Occurrences = [.. past.Where(o => o.Number < u.Current.Number).OrderBy(o => o.Number), u.Current] }
            : u)];
    }

    /// <summary>Creates the expected update; its first reminder is indexed first, so a crash leaves at most an index row pointing at nothing.</summary>
    public async Task CreateExpectedAsync(ExpectedUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        await IndexAsync(update, DueKind.Remind, update.Current.DueAt, cancellationToken);
        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        var row = Row(update.CrisisId, update.Id, update);
        row["OwnerId"] = update.OwnerId;
        await table.InsertAsync(row, cancellationToken);
    }

    /// <summary>
    /// Replaces the update's row, if unchanged since <paramref name="etag"/>, with its current (last) occurrence; the
    /// occurrences before it become rows of their own in the same transaction, so a roll is stored whole or not at all.
    /// </summary>
    public async Task ReplaceExpectedAsync(ExpectedUpdate update, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var table = await storage.TableAsync(ExpectedUpdateTable, cancellationToken);
        var row = Row(update.CrisisId, update.Id, update with { Occurrences = [update.Current] });
        row["OwnerId"] = update.OwnerId;
        var past = update.Occurrences.SkipLast(1).ToList();
        if (past.Count == 0)
        {
            await table.UpdateAsync(row, etag, TableUpdateMode.Replace, cancellationToken);
            return;
        }

        // A row written before history had rows of its own may hold more past occurrences than one transaction
        // takes: the oldest are written first (each is final, so writing one twice is harmless).
        foreach (var occurrence in past.SkipLast(MaxHistoryPerTransaction))
        {
            await table.UpsertAsync(HistoryRow(update, occurrence), TableUpdateMode.Replace, cancellationToken);
        }

        List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, row, etag)];
        actions.AddRange(past.TakeLast(MaxHistoryPerTransaction).Select(o => new TableTransactionAction(TableTransactionActionType.UpsertReplace, HistoryRow(update, o))));
        await table.SubmitAsync(actions, cancellationToken);
    }

    private static TableEntity HistoryRow(ExpectedUpdate update, Occurrence occurrence)
    {
        var row = Row(update.CrisisId, HistoryKey(update.Id, occurrence.Number), occurrence);
        row["OwnerId"] = update.OwnerId;
        return row;
    }

    private static string HistoryKey(string id, int number) => string.Create(CultureInfo.InvariantCulture, $"{id}{HistorySeparator}{number:D6}");

    /// <summary>Indexes a reminder or an escalation of the update's current occurrence at <paramref name="dueAt"/> (idempotent).</summary>
    public async Task IndexAsync(ExpectedUpdate update, DueKind kind, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var table = await storage.TableAsync(DueTable, cancellationToken);
        var rowKey = string.Create(CultureInfo.InvariantCulture,
            $"{dueAt.UtcTicks:D19}|{(kind == DueKind.Remind ? 'r' : 'e')}|{update.CrisisId}|{update.Id}|{update.Current.Number:D6}");
        await table.UpsertAsync(new TableEntity(DuePartition, rowKey), TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>What is due at <paramref name="now"/>, earliest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<DueEntry>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(DueTable, cancellationToken);
        var upTo = (now.UtcTicks + 1).ToString("D19", CultureInfo.InvariantCulture);
        var due = new List<DueEntry>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {DuePartition} and RowKey lt {upTo}"), ["PartitionKey"], Math.Min(max, Tables.MaxPageSize), cancellationToken))
        {
            var parts = row.RowKey.Split('|');
            due.Add(new DueEntry(row.RowKey, new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero),
                parts[1] == "r" ? DueKind.Remind : DueKind.Escalate, parts[2], parts[3], int.Parse(parts[4], CultureInfo.InvariantCulture)));
            if (due.Count >= max)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>
    /// Moves a due entry that failed to be handled out of the due index, with why, so one bad item never blocks the
    /// rest. Written before the entry is removed: a crash in between leaves it due, and the next run sets it aside again.
    /// </summary>
    public async Task SetAsideAsync(DueEntry entry, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var table = await storage.TableAsync(DueTable, cancellationToken);
        await table.UpsertAsync(new TableEntity(SetAsidePartition, entry.RowKey)
        {
            ["CrisisId"] = entry.CrisisId,
            ["ExpectedUpdateId"] = entry.ExpectedUpdateId,
            ["Reason"] = reason.Length > 1000 ? reason[..1000] : reason,
            ["At"] = at,
        }, TableUpdateMode.Replace, cancellationToken);
        await table.RemoveAsync(DuePartition, entry.RowKey, cancellationToken: cancellationToken);
    }

    /// <summary>The reminders and escalations of a crisis that were set aside because handling them failed.</summary>
    public async Task<IReadOnlyList<SetAsideEntry>> SetAsideAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(DueTable, cancellationToken);
        var found = new List<SetAsideEntry>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {SetAsidePartition} and CrisisId eq {crisisId}"), cancellationToken: cancellationToken))
        {
            var parts = row.RowKey.Split('|');
            found.Add(new SetAsideEntry(row.GetString("ExpectedUpdateId")!, parts[1] == "r" ? DueKind.Remind : DueKind.Escalate,
                int.Parse(parts[4], CultureInfo.InvariantCulture), row.GetString("Reason") ?? "", row.GetDateTimeOffset("At") ?? default));
        }

        return found;
    }

    public async Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var table = await storage.TableAsync(DueTable, cancellationToken);
        await table.RemoveAsync(DuePartition, entry.RowKey, cancellationToken: cancellationToken);
    }

    private static TableEntity Row<T>(string partition, string rowKey, T value)
    {
        var row = new TableEntity(partition, rowKey);
        TableJson.Put(row, "Data", TableJson.Serialize(value));
        return row;
    }

    private static T Read<T>(TableEntity row) => TableJson.Read<T>(row, "Data");
}
