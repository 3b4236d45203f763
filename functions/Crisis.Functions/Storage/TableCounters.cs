using Azure.Data.Tables;

namespace Crisis.Functions.Storage;

/// <summary>
/// Counters kept in one property of an entity (a row of its own, or beside other data), added to with optimistic
/// concurrency: read, then insert or merge guarded by the ETag, again (after a short random pause) when another
/// writer came first. Every concurrent add is kept; none is counted twice.
/// </summary>
public static class TableCounters
{
    private const int MaxAttempts = 10;

    /// <summary>Adds <paramref name="by"/> to <paramref name="property"/> unless the count would pass <paramref name="max"/>; the new count, or null when refused.</summary>
    public static async Task<long?> TryAddAsync(this TableClient table, string partitionKey, string rowKey, string property, long by, long? max, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        for (var attempt = 1; ; attempt++)
        {
            var row = await table.FindAsync(partitionKey, rowKey, [property], cancellationToken);
            var count = (row?.GetCount(property) ?? 0) + by;
            if (count > max)
            {
                return null;
            }

            var counted = new TableEntity(partitionKey, rowKey) { [property] = count };
            try
            {
                if (row is null)
                {
                    await table.InsertAsync(counted, cancellationToken);
                }
                else
                {
                    await table.UpdateAsync(counted, row.ETag, TableUpdateMode.Merge, cancellationToken);
                }

                return count;
            }
            catch (Exception e) when (e is AlreadyExistsException or ChangedMeanwhileException && attempt < MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), time, cancellationToken);
            }
        }
    }

    public static async Task<long> AddAsync(this TableClient table, string partitionKey, string rowKey, string property, long by, TimeProvider time, CancellationToken cancellationToken) =>
        (await table.TryAddAsync(partitionKey, rowKey, property, by, null, time, cancellationToken))!.Value;

    /// <summary>
    /// A count as stored: Int64 once a counter has added to it, Int32 where a row was written with an int.
    /// (The SDK's own getters insist on one exact type.)
    /// </summary>
    public static long? GetCount(this TableEntity row, string property)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.TryGetValue(property, out var value)
            ? value switch
            {
                long l => l,
                int i => i,
                null => null,
                _ => throw new InvalidOperationException($"Property '{property}' holds a {value.GetType().Name}, not a count."),
            }
            : null;
    }
}
