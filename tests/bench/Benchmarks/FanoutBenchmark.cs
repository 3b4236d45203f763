using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Crisis.Functions.Crises;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The enqueue stage of a fan-out: 100k confirmed subscribers of one crisis, one published update, timed until
/// every subscriber has its message in the outbox, with the storage requests it made counted. Baseline, same
/// run, same Azurite: writing 100k entities in 100-entity transactions with the same parallelism and no reads.
/// Targets: 100k in at most 30 s, at most 0.05 storage transactions per subscriber.
/// </summary>
internal static class FanoutBenchmark
{
    private const int Total = 100_000;
    private static readonly string[] English = ["en"];

    public static async Task<int> RunAsync()
    {
        await using var azurite = await Crisis.Functions.Host.Local.EmbeddedAzurite.StartAsync();
        var counter = new RequestCounter();
        await using var app = BenchApp.Create(
            azurite.ConnectionString,
            new Dictionary<string, string?> { ["Outbox:SendInBackground"] = "false" },
            services => services.AddSingleton<HttpPipelinePolicy>(counter));
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", BenchApp.AdminKey);
        var crisis = (await (await admin.PostAsJsonAsync("/api/admin/crises", new { title = new { en = "Bench" }, summary = new { en = "s" }, severity = "major", defaultLanguage = "en", languages = English })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await admin.PostAsync($"/api/admin/crises/{crisis}/activate", null);
        var storage = app.Services.GetRequiredService<CrisisStorage>();

        var seed = Stopwatch.StartNew();
        await SeedAsync(await storage.TableAsync(SubscriberStore.TableName), crisis);
        seed.Stop();
        var baseline = Stopwatch.StartNew();
        await SeedAsync(await storage.TableAsync("benchbaseline"), crisis);
        baseline.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {Total:N0} confirmed subscribers in {seed.Elapsed.TotalSeconds:F1} s"));

        var published = await admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/updates", new { text = new { en = "Depots reopen on Monday." }, publish = true });
        var updateId = (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var fanout = app.Services.GetRequiredService<FanoutService>();
        var before = counter.Count;
        var clock = Stopwatch.StartNew();
        var result = await fanout.RunAsync(int.MaxValue, CancellationToken.None);
        clock.Stop();
        var transactions = counter.Count - before;

        var queued = 0;
        var outbox = app.Services.GetRequiredService<Outbox>();
        string? continuation = null;
        do
        {
            var page = await outbox.DeliveryPageAsync(UpdateNotifications.KeyPrefix(crisis, updateId), 1000, continuation, CancellationToken.None);
            queued += page.Deliveries.Count(d => d.Status == "queued");
            continuation = page.ContinuationToken;
        }
        while (continuation is not null);

        var update = (await app.Services.GetRequiredService<CrisisStore>().GetUpdateAsync(crisis, updateId, CancellationToken.None))!.Value.Update;
        var totals = Stopwatch.StartNew();
        var status = await fanout.StatusAsync(crisis, update, CancellationToken.None);
        totals.Stop();

        var perSecond = Total / clock.Elapsed.TotalSeconds;
        var perSubscriber = (double)transactions / Total;
        var baselinePerSecond = Total / baseline.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            enqueue stage: {result.Queued:N0} queued ({queued:N0} in the outbox) in {clock.Elapsed.TotalSeconds:F1} s = {perSecond:N0} subscribers/s
            storage transactions: {transactions:N0} = {perSubscriber:F4} per subscriber (target <= 0.05)
            admin totals for the update ({status.Queued:N0} queued) read in {totals.Elapsed.TotalMilliseconds:N0} ms
            baseline, bare 100-entity batch writes: {baselinePerSecond:N0} entities/s; fan-out runs at {perSecond / baselinePerSecond:F2}x of it
            target: {Total:N0} in <= 30 s: {(clock.Elapsed.TotalSeconds <= 30 ? "met" : "MISSED")}; transactions: {(perSubscriber <= 0.05 ? "met" : "MISSED")}
            """));
        var pass = Bench.Report("fanout_100k_enqueue_time", clock.Elapsed.TotalSeconds, "s", "<= 30", clock.Elapsed.TotalSeconds <= 30);
        pass &= Bench.Report("fanout_100k_transactions_per_subscriber", perSubscriber, "tx/subscriber", "<= 0.05", perSubscriber <= 0.05);
        pass &= Bench.Report("fanout_100k_missing", Total - queued, "messages", "== 0", queued == Total);
        return pass ? 0 : 1;
    }

    /// <summary>Confirmed subscribers of the crisis as the app stores them, spread over its 16 shards, in 100-entity transactions, 16 at a time.</summary>
    private static async Task SeedAsync(TableClient table, string crisis)
    {
        var now = DateTimeOffset.UtcNow;
        var byShard = Enumerable.Range(0, Total).Select(_ => SubscriberIds.New()).GroupBy(SubscriberIds.Shard);
        var batches = byShard.SelectMany(shard => shard.Chunk(100).Select(ids => ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity(SubscriberIds.Partition(shard.Key), id)
            {
                ["Channel"] = "Webhook", ["Address"] = "https://example.org/hook/" + id, ["ContactHash"] = id, ["Scope"] = crisis, ["Language"] = "en",
                ["Topics"] = "", ["Status"] = "Confirmed", ["CreatedAt"] = now, ["ConfirmedAt"] = now, ["Failures"] = 0,
            })).ToList())).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, token) => await table.SubmitAsync(batch, token));
    }

    /// <summary>Counts storage requests (each a billable transaction; retries would count again).</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
