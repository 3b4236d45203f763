using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Notifications;

/// <summary>
/// Moves what the single legacy table <c>outbox</c> holds (from before each shard had a table of its own) into the
/// shards' tables, once, before the outbox is used. Every row keeps its shard but a recipient's index rows, which go
/// to the recipient's shard naming the shard their message stayed in (<see cref="Outbox.StayedIn"/>), so erasure
/// looks in one shard; a delivery record without an index row gets one. One instance moves at a time, under a lease
/// row in the legacy table; the others' outbox calls answer that storage is unavailable meanwhile (their callers
/// retry), and no instance uses the shard tables until the move is done, so a page copied again after a crash
/// writes the same rows. Rows leave the legacy table once copied, and the table goes once empty.
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
        Task moving;
        lock (_gate)
        {
            moving = _moving ??= MoveAsync();
        }

        if (moving.IsCompletedSuccessfully)
        {
            return;
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

                await CopyAsync(shard, page.Entities);
                await DeleteAsync(legacy, page.Entities);
                moved += page.Entities.Count;
                lease = await RenewAsync(legacy, lease);
            }
        }

        await storage.DeleteTableAsync(Outbox.LegacyTableName);
        logger.LogInformation("Outbox: {Rows} rows moved from the legacy table {Table} into the shards' own tables", moved, Outbox.LegacyTableName);
    }

    /// <summary>Writes one page of a legacy shard's rows into the shard tables, replacing what an interrupted move may have written of them.</summary>
    private async Task CopyAsync(int shard, IReadOnlyList<TableEntity> rows)
    {
        var writes = new Dictionary<int, Dictionary<string, TableTransactionAction>>();
        void Write(int into, TableEntity row, TableUpdateMode mode)
        {
            var actions = writes.TryGetValue(into, out var found) ? found : writes[into] = new(StringComparer.Ordinal);
            if (mode == TableUpdateMode.Replace || !actions.ContainsKey(row.RowKey))
            {
                actions[row.RowKey] = new(mode == TableUpdateMode.Replace ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.UpsertMerge, row);
            }
        }

        foreach (var row in rows)
        {
            var copy = new TableEntity(row.PartitionKey, row.RowKey);
            foreach (var (name, value) in row.Where(p => !Bookkeeping.Contains(p.Key, StringComparer.Ordinal)))
            {
                copy[name] = value;
            }

            if (Outbox.IndexedRecipient(row.RowKey) is { } indexed && Outbox.ShardOf(indexed) != shard)
            {
                var into = Outbox.ShardOf(indexed);
                copy.PartitionKey = Outbox.ShardName(into);
                copy[Outbox.StayedIn] = shard;
                Write(into, copy, TableUpdateMode.Replace);
                continue;
            }

            Write(shard, copy, TableUpdateMode.Replace);
            if (Outbox.RecordedRecipient(row) is { } recipient)
            {
                // A record from before index rows existed: give it one, so erasure finds it (a copied index row replaces this).
                var into = Outbox.ShardOf(recipient);
                var index = Outbox.IndexRowOf(recipient, row.RowKey[2..], into);
                if (into != shard)
                {
                    index[Outbox.StayedIn] = shard;
                }

                Write(into, index, TableUpdateMode.Merge);
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
