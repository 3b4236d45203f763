using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core.Pipeline;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Delivery end to end, twice in one app on one Azurite: to the 1k, then to the 100k confirmed webhook subscribers of
/// two crises (both seeded first, so the subscribers table is the same in both rounds and only the outbox grows), on
/// a local receiver that counts calls by webhook-id. Each round publishes an update and, as the background pump does,
/// queues (fan-out) and sends at once until the receiver has every message; storage requests are counted per stage.
/// Once idle, it measures the storage time and requests of the admin totals of the update, of the crisis review and
/// of erasing one subscriber: each should cost the same among 100k delivery records as among 1k.
/// </summary>
internal static class DeliveryBenchmark
{
    private static readonly string[] English = ["en"];

    public static async Task<int> RunAsync()
    {
        await using var azurite = await Crisis.Functions.Host.Local.EmbeddedAzurite.StartAsync();
        await using var receiver = await CountingReceiver.StartAsync();
        var meter = new StorageMeter();
        await using var app = BenchApp.Create(
            azurite.ConnectionString,
            new Dictionary<string, string?>
            {
                ["Outbox:SendInBackground"] = "false",
                ["Webhooks:AllowedPrivateHosts"] = $"127.0.0.1:{receiver.Port}",
            },
            services => services.AddSingleton<HttpPipelinePolicy>(meter));
        using var admin = app.CreateAdminClient();
        using var client = app.CreateClient();

        var fewer = await CrisisAsync(app, admin, receiver, 1_000);
        var more = await CrisisAsync(app, admin, receiver, 100_000);
        var small = await RoundAsync(app, admin, client, meter, receiver, fewer);
        var large = await RoundAsync(app, admin, client, meter, receiver, more);

        var pass = true;
        pass &= Bench.Report("delivery_100k_webhooks_rate", large.Rate, "msg/s", ">= 2000", large.Rate >= 2000);
        pass &= Bench.Report("delivery_100k_webhooks_transactions_per_message", large.TransactionsPerMessage, "tx/msg", "<= 0.05", large.TransactionsPerMessage <= 0.05);
        pass &= Bench.Report("delivery_100k_webhooks_duplicates", large.Duplicates, "messages", "== 0", large.Duplicates == 0);
        pass &= Bench.Report("delivery_100k_webhooks_missing", large.Missing, "messages", "== 0", large.Missing == 0);
        pass &= Bench.Report("admin_totals_100k_storage_time", large.Totals.Ms, "ms", "<= 50", large.Totals.Ms <= 50);
        pass &= Bench.Report("admin_totals_100k_vs_1k", large.Totals.Ms / small.Totals.Ms, "x", "<= 1.5x", large.Totals.Ms / small.Totals.Ms <= 1.5);
        pass &= Bench.Report("review_100k_storage_time", large.Review.Ms, "ms", "<= 50", large.Review.Ms <= 50);
        pass &= Bench.Report("review_100k_vs_1k", large.Review.Ms / small.Review.Ms, "x", "<= 1.5x", large.Review.Ms / small.Review.Ms <= 1.5);
        pass &= Bench.Report("erasure_100k_vs_1k_storage_time", large.Erasure.Ms / small.Erasure.Ms, "x", "<= 1.5x", large.Erasure.Ms / small.Erasure.Ms <= 1.5);
        pass &= Bench.Report("erasure_100k_vs_1k_requests", (double)large.Erasure.Requests / small.Erasure.Requests, "x", "<= 1.0x", large.Erasure.Requests <= small.Erasure.Requests);
        pass &= Bench.Report("erasure_100k_vs_1k_entities_read", (double)large.Erasure.Read / small.Erasure.Read, "x", "<= 1.0x", large.Erasure.Read <= small.Erasure.Read);
        return pass ? 0 : 1;
    }

    /// <summary>The median of several measured calls.</summary>
    private sealed record Cost(double Ms, long Requests, long Read)
    {
        public static Cost Of(IReadOnlyCollection<Measured> samples) => new(
            Bench.Median(samples.Select(s => s.StorageMs)), (long)Bench.Median(samples.Select(s => (double)s.Requests)), (long)Bench.Median(samples.Select(s => (double)s.Read)));
    }

    private sealed record Round(double Rate, double TransactionsPerMessage, int Duplicates, int Missing, Cost Totals, Cost Review, Cost Erasure);

    private sealed record SeededCrisis(string Id, List<string> Subscribers);

    /// <summary>An active crisis with <paramref name="total"/> confirmed webhook subscribers on the receiver.</summary>
    private static async Task<SeededCrisis> CrisisAsync(CrisisAppFactory app, HttpClient admin, CountingReceiver receiver, int total)
    {
        var crisis = (await (await admin.PostAsJsonAsync("/api/admin/crises", new { title = new { en = "Bench" }, summary = new { en = "s" }, severity = "major", defaultLanguage = "en", languages = English })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        (await admin.PostAsync($"/api/admin/crises/{crisis}/activate", null)).EnsureSuccessStatusCode();
        var storage = app.Services.GetRequiredService<CrisisStorage>();
        return new(crisis, await SubscriberSeed.SubscribersAsync(await storage.TableAsync(SubscriberStore.TableName), crisis, total, "Webhook", id => receiver.Url(id)));
    }

    private static async Task<Round> RoundAsync(CrisisAppFactory app, HttpClient admin, HttpClient client, StorageMeter meter, CountingReceiver receiver, SeededCrisis seeded)
    {
        var (crisis, ids) = seeded;
        var total = ids.Count;
        receiver.Reset();

        var stage = $"delivery {total}";
        var published = await admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/updates", new { text = new { en = "Depots reopen on Monday." }, publish = true });
        var updateId = (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var fanout = app.Services.GetRequiredService<FanoutService>();
        var outbox = app.Services.GetRequiredService<Outbox>();
        var feeding = StorageMeter.InStage($"fanout {total}", () => fanout.RunAsync(int.MaxValue, CancellationToken.None));
        var sending = StorageMeter.InStage(stage, async () =>
        {
            // As the background pump: send while the fan-out queues, then until nothing is due.
            DispatchResult sent;
            bool fed;
            do
            {
                fed = feeding.IsCompleted;
                sent = await outbox.DispatchAsync(OutboxKick.RoundSize, CancellationToken.None);
                if (!fed && sent.Sent + sent.Failed == 0)
                {
                    await Task.WhenAny(feeding, Task.Delay(200));
                }
            }
            while (!fed || sent.Sent + sent.Failed > 0);

            return sent;
        });
        await Task.WhenAll(feeding, sending);
        await receiver.WaitForAsync(total, TimeSpan.FromSeconds(10));
        // The receiver's clock started just before the update was published.
        var elapsed = receiver.LastAt;
        var distinct = receiver.Distinct;
        var rate = distinct / elapsed.TotalSeconds;
        var perMessage = (double)meter.CountOf(stage) / Math.Max(1, distinct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{total:N0} webhooks: publish -> last delivery {elapsed.TotalSeconds:F1} s = {rate:N0} msg/s; {receiver.Calls:N0} calls, {distinct:N0} distinct; storage transactions: delivery {meter.CountOf(stage):N0} ({perMessage:F4}/msg), fan-out {meter.CountOf($"fanout {total}"):N0} ({(double)meter.CountOf($"fanout {total}") / total:F4}/subscriber)"));

        var totals = await CostAsync(meter, () => admin.GetAsync($"/api/admin/crises/{crisis}/updates/{updateId}/notifications"), body => body.GetProperty("sent").GetInt32() == total);
        var review = await CostAsync(meter, () => admin.GetAsync($"/api/admin/crises/{crisis}/review"), body => body.GetProperty("notifications").GetProperty("sent").GetInt32() == total);
        var links = app.Services.GetRequiredService<SubscriptionLinks>();
        var erasures = new List<Measured>();
        foreach (var id in ids.Take(5))
        {
            var manage = new Uri(links.Manage(id)).PathAndQuery;
            erasures.Add(await meter.MeasureAsync(async () => (await client.DeleteAsync(manage)).EnsureSuccessStatusCode()));
        }

        var erasure = Cost.Of(erasures);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{total:N0} recipients: admin totals {totals.Ms:F1} ms storage ({totals.Requests} requests), review {review.Ms:F1} ms ({review.Requests}), erasure of one {erasure.Ms:F1} ms ({erasure.Requests} requests reading {erasure.Read} entities)"));
        return new Round(rate, perMessage, receiver.Calls - distinct, total - distinct, totals, review, erasure);
    }

    /// <summary>The median storage time and requests of 7 calls (after one warm-up), each checked for the right answer.</summary>
    private static async Task<Cost> CostAsync(StorageMeter meter, Func<Task<HttpResponseMessage>> call, Func<JsonElement, bool> right)
    {
        var samples = new List<Measured>();
        for (var i = 0; i < 8; i++)
        {
            JsonElement body = default;
            var measured = await meter.MeasureAsync(async () => body = await (await call()).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>());
            if (!right(body))
            {
                throw new InvalidOperationException("Unexpected figures: " + body);
            }

            if (i > 0)
            {
                samples.Add(measured);
            }
        }

        return Cost.Of(samples);
    }
}

/// <summary>A webhook receiver on a loopback port that counts calls by webhook-id and answers 200, doing nothing else.</summary>
internal sealed class CountingReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
    private int _calls;
    private long _lastTicks;

    private CountingReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public int Calls => Volatile.Read(ref _calls);

    public int Distinct => _seen.Count;

    /// <summary>When the last call arrived, on the receiver's clock (see <see cref="Reset"/>).</summary>
    public TimeSpan LastAt => TimeSpan.FromTicks(Interlocked.Read(ref _lastTicks));

    public string Url(string id) => $"http://127.0.0.1:{Port}/h/{id}";

    public static async Task<CountingReceiver> StartAsync()
    {
        var (app, port) = LoopbackApp.Create();
        var receiver = new CountingReceiver(app, port);
        app.MapPost("/h/{id}", (HttpRequest request) =>
        {
            receiver._seen.AddOrUpdate(request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
            Interlocked.Increment(ref receiver._calls);
            Interlocked.Exchange(ref receiver._lastTicks, receiver._clock.Elapsed.Ticks);
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Forgets what came so far and restarts the clock.</summary>
    public void Reset()
    {
        _seen = new(StringComparer.Ordinal);
        Volatile.Write(ref _calls, 0);
        _clock.Restart();
    }

    public async Task WaitForAsync(int count, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (Distinct < count && waited.Elapsed < limit)
        {
            await Task.Delay(50);
        }

        // Anything sent twice would arrive about now.
        await Task.Delay(500);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
