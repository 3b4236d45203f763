using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Notifications;

/// <summary>
/// Moves what the single legacy table <c>outbox</c> holds (from before each shard had a table of its own) into the
/// shards' tables, once, before the outbox is used. Each row of a message with a recipient goes to the recipient's
/// shard (<see cref="Outbox.ShardOf"/>), where the outbox now keeps all of a recipient's messages, so that erasure
/// finds them in one shard and a message queued again is still recognised; every other row keeps its shard. A
/// delivery record without an index row (from before they existed) gets one. One instance moves at a time, under a
/// lease row in the legacy table; the others' outbox calls answer that storage is unavailable meanwhile (their
/// callers retry), and no instance uses the shard tables until the move is done, so a page copied again after a
/// crash writes the same rows. Rows leave the legacy table once copied, and the table goes once empty.
/// </summary>
public sealed class LegacyOutbox(CrisisStorage storage, TimeProvider time, ILogger<LegacyOutbox> logger)
{
    /// <summary>How long a mover's lease holds without being renewed (it is renewed every page).</summary>
    public static readonly TimeSpan LeaseTimeout = TimeSpan.FromMinutes(2);

    private const string LeasePartition = "move";
    private const string LeaseRow = "lease";
    private static readonly string[] Bookkeeping = ["PartitionKey", "RowKey", "Timestamp", "odata.etag"];
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly Lock _gate = new();
    private Task? _moving;

    /// <summary>Completes once nothing is left in the legacy table (at once after the first time); throws what stopped the move, which the next call tries again.</summary>
    public async Task MovedAsync(CancellationToken cancellationToken)
    {
        // Every use of the outbox asks: once moved, answer without taking the lock.
        var moving = Volatile.Read(ref _moving);
        if (moving is { IsCompletedSuccessfully: true })
        {
            return;
        }

        lock (_gate)
        {
            moving = _moving ??= MoveAsync();
        }

        try
        {
            await moving.WaitAsync(cancellationToken);
        }
        catch when (moving.IsFaulted)
        {
            lock (_gate)
            {
                if (_moving == moving)
                {
                    _moving = null;
                }
            }

            throw;
        }
    }

    private async Task MoveAsync()
    {
        if (await storage.ExistingTableAsync(Outbox.LegacyTableName) is not { } legacy)
        {
            return;
        }

        var lease = await TakeLeaseAsync(legacy);
        var moved = 0;
        for (var shard = 0; shard < Outbox.Shards; shard++)
        {
            var partition = Outbox.ShardName(shard);
            while (true)
            {
                var page = await legacy.QueryPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), null, Tables.MaxPageSize, null);
                if (page.Entities.Count == 0)
                {
                    break;
                }

                await CopyAsync(legacy, shard, page.Entities);
                await DeleteAsync(legacy, page.Entities);
                moved += page.Entities.Count;
                lease = await RenewAsync(legacy, lease);
            }
        }

        await storage.DeleteTableAsync(Outbox.LegacyTableName);
        logger.LogInformation("Outbox: {Rows} rows moved from the legacy table {Table} into the shards' own tables", moved, Outbox.LegacyTableName);
    }

    /// <summary>Writes one page of a legacy shard's rows into the shard tables, replacing what an interrupted move may have written of them.</summary>
    private async Task CopyAsync(TableClient legacy, int shard, IReadOnlyList<TableEntity> rows)
    {
        var writes = new Dictionary<int, Dictionary<string, TableTransactionAction>>();
        void Write(int into, TableEntity row, TableUpdateMode mode)
        {
            row.PartitionKey = Outbox.ShardName(into);
            var actions = writes.TryGetValue(into, out var found) ? found : writes[into] = new(StringComparer.Ordinal);
            if (mode == TableUpdateMode.Merge && actions.TryGetValue(row.RowKey, out var earlier))
            {
                // One action per row in a transaction: what a merge adds joins the earlier action (a copied row's own values win).
                var entity = (TableEntity)earlier.Entity;
                foreach (var (name, value) in row.Where(p => earlier.ActionType == TableTransactionActionType.UpsertMerge || !entity.ContainsKey(p.Key)))
                {
                    entity[name] = value;
                }

                return;
            }

            actions[row.RowKey] = new(mode == TableUpdateMode.Replace ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.UpsertMerge, row);
        }

        foreach (var row in rows)
        {
            var copy = new TableEntity(row.PartitionKey, row.RowKey);
            foreach (var (name, value) in row.Where(p => !Bookkeeping.Contains(p.Key, StringComparer.Ordinal)))
            {
                copy[name] = value;
            }

            if (Outbox.RecordKeyOfListing(row.RowKey) is { } recordKey)
            {
                // A set-aside message's listing follows its record, and its recipient's index row says it is listed.
                var owner = await RecipientOfRecordAsync(legacy, row.PartitionKey, recordKey);
                Write(owner is null ? shard : Outbox.ShardOf(owner), copy, TableUpdateMode.Replace);
                if (owner is not null)
                {
                    var listed = Outbox.IndexRowOf(owner, recordKey[2..]);
                    listed["Listed"] = true;
                    Write(Outbox.ShardOf(owner), listed, TableUpdateMode.Merge);
                }

                continue;
            }

            var recipient = Outbox.RecipientOf(row);
            Write(recipient is null ? shard : Outbox.ShardOf(recipient), copy, TableUpdateMode.Replace);
            if (recipient is not null && Outbox.IsRecordOrMarker(row.RowKey))
            {
                // A message from before index rows existed gets one, so erasure finds its record and its marker by key
                // (a copied index row, later in the shard, replaces this).
                Write(Outbox.ShardOf(recipient), Outbox.IndexRowOf(recipient, row.RowKey[2..]), TableUpdateMode.Merge);
            }
        }

        foreach (var (into, actions) in writes)
        {
            var table = await storage.TableAsync(Outbox.TableName(into));
            foreach (var chunk in actions.Values.Chunk(TransactionLimits.MaxActions))
            {
                await table.SubmitAsync(chunk);
            }
        }
    }

    /// <summary>The recipient of a record: still in the legacy table (the same page), or already moved to its recipient's shard.</summary>
    private async Task<string?> RecipientOfRecordAsync(TableClient legacy, string partition, string recordKey)
    {
        if (await legacy.FindAsync(partition, recordKey, ["Recipient"]) is { } left)
        {
            return left.GetString("Recipient");
        }

        for (var shard = 0; shard < Outbox.Shards; shard++)
        {
            if (await (await storage.TableAsync(Outbox.TableName(shard))).FindAsync(Outbox.ShardName(shard), recordKey, ["Recipient"]) is { } moved)
            {
                return moved.GetString("Recipient");
            }
        }

        return null;
    }

    private static async Task DeleteAsync(TableClient legacy, IReadOnlyList<TableEntity> rows)
    {
        foreach (var chunk in rows.Chunk(TransactionLimits.MaxActions))
        {
            try
            {
                await legacy.SubmitAsync([.. chunk.Select(row => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(row.PartitionKey, row.RowKey), ETag.All))]);
            }
            catch (NotFoundException)
            {
                // One went meanwhile (an interrupted move deleted part of this page): the others one by one.
                foreach (var row in chunk)
                {
                    await legacy.RemoveAsync(row.PartitionKey, row.RowKey);
                }
            }
        }
    }

    private async Task<ETag> TakeLeaseAsync(TableClient legacy)
    {
        var now = time.GetUtcNow();
        var lease = new TableEntity(LeasePartition, LeaseRow) { ["HeldBy"] = _instance, ["HeldAt"] = now };
        try
        {
            if (await legacy.FindAsync(LeasePartition, LeaseRow) is not { } held)
            {
                return await legacy.InsertAsync(lease);
            }

            if (held.GetString("HeldBy") != _instance && held.GetDateTimeOffset("HeldAt") > now - LeaseTimeout)
            {
                throw Busy();
            }

            return await legacy.UpdateAsync(lease, held.ETag, TableUpdateMode.Replace);
        }
        catch (Exception e) when (e is AlreadyExistsException or ChangedMeanwhileException)
        {
            throw Busy();
        }
    }

    private async Task<ETag> RenewAsync(TableClient legacy, ETag lease)
    {
        try
        {
            return await legacy.UpdateAsync(new TableEntity(LeasePartition, LeaseRow) { ["HeldBy"] = _instance, ["HeldAt"] = time.GetUtcNow() }, lease, TableUpdateMode.Replace);
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            throw Busy();
        }
    }

    private static StorageUnavailableException Busy() =>
        new($"The outbox is being moved out of its legacy table {Outbox.LegacyTableName} by another instance; try again shortly.");
}
