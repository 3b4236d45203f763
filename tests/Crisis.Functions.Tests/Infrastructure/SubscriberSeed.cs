using Azure.Data.Tables;
using Crisis.Functions.Subscriptions;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// Confirmed subscribers written straight into storage as the app stores them (many more than subscribing through
/// the API would make in a test's time), spread over its 16 shards, in 100-entity transactions, 16 at a time.
/// </summary>
public static class SubscriberSeed
{
    public static async Task<List<string>> SubscribersAsync(TableClient table, string crisis, int count, string channel, Func<string, string> address)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, count).Select(_ => SubscriberIds.New()).ToList();
        var batches = ids.GroupBy(SubscriberIds.Shard).SelectMany(shard => shard.Chunk(100).Select(chunk => chunk.Select(id => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity(SubscriberIds.Partition(shard.Key), id)
            {
                ["Channel"] = channel, ["Address"] = address(id), ["ContactHash"] = id, ["Scope"] = crisis, ["Language"] = "en",
                ["Topics"] = "", ["Status"] = "Confirmed", ["CreatedAt"] = now, ["ConfirmedAt"] = now, ["Failures"] = 0,
            })).ToList())).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, token) => await table.SubmitTransactionAsync(batch, token));
        return ids;
    }
}
