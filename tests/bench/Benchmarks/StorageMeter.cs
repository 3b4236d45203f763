using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;

/// <summary>
/// Counts the app's storage requests (a policy in every storage client's pipeline, one count per call: each call is
/// a billable transaction), by stage when the caller names one (an async-local name that flows into the calls it
/// makes), and measures, during a measured call, storage time (how long at least one request was in flight) and the
/// entities and blobs its reads returned.
/// </summary>
internal sealed class StorageMeter : HttpPipelinePolicy
{
    private static readonly AsyncLocal<string?> CurrentStage = new();
    private readonly ConcurrentDictionary<string, long> _byStage = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(long Start, long End)> _intervals = new();
    private long _count;
    private long _read;
    private int _recording;

    public long Count => Interlocked.Read(ref _count);

    public long CountOf(string stage) => _byStage.GetValueOrDefault(stage);

    /// <summary>Runs <paramref name="work"/> with its storage requests counted under <paramref name="stage"/>.</summary>
    public static Task<T> InStage<T>(string stage, Func<Task<T>> work) => Task.Run(async () =>
    {
        CurrentStage.Value = stage;
        return await work();
    });

    /// <summary>Storage time (ms, requests in flight), storage requests and what they read, of one call made while nothing else uses storage.</summary>
    public async Task<Measured> MeasureAsync(Func<Task> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _intervals.Clear();
        var before = Count;
        Interlocked.Exchange(ref _read, 0);
        Volatile.Write(ref _recording, 1);
        await call();
        Volatile.Write(ref _recording, 0);
        var requests = Count - before;
        long busy = 0, until = long.MinValue;
        foreach (var (start, end) in _intervals.OrderBy(i => i.Start))
        {
            if (end <= until)
            {
                continue;
            }

            busy += end - Math.Max(start, until);
            until = end;
        }

        return new(busy * 1000.0 / Stopwatch.Frequency, requests, Interlocked.Read(ref _read));
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var start = Counted();
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        finally
        {
            Ended(start, message);
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var start = Counted();
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            Ended(start, message);
        }
    }

    private long Counted()
    {
        Interlocked.Increment(ref _count);
        if (CurrentStage.Value is { } stage)
        {
            _byStage.AddOrUpdate(stage, 1, (_, n) => n + 1);
        }

        return Stopwatch.GetTimestamp();
    }

    private void Ended(long start, HttpMessage message)
    {
        if (Volatile.Read(ref _recording) == 1)
        {
            _intervals.Enqueue((start, Stopwatch.GetTimestamp()));
            Interlocked.Add(ref _read, ReadBy(message));
        }
    }

    /// <summary>What a successful read returned: the entities of a table query's page, else one entity or blob.</summary>
    private static long ReadBy(HttpMessage message)
    {
        if (message.Request.Method != RequestMethod.Get || !message.HasResponse || message.Response.Status != 200)
        {
            return 0;
        }

        if (!message.BufferResponse || message.Response.Headers.ContentType?.Contains("odata", StringComparison.Ordinal) != true)
        {
            return 1;
        }

        using var body = System.Text.Json.JsonDocument.Parse(message.Response.Content);
        return body.RootElement.TryGetProperty("value", out var page) && page.ValueKind == System.Text.Json.JsonValueKind.Array ? page.GetArrayLength() : 1;
    }
}

/// <summary>What one measured call cost in storage: time with a request in flight, requests, and the entities and blobs read.</summary>
internal sealed record Measured(double StorageMs, long Requests, long Read);

/// <summary>The benchmark line contract: one compact JSON line per metric on stdout, read by <c>tests/bench/run</c>.</summary>
internal static class Bench
{
    public static bool Report(string name, double value, string unit, string target, bool pass)
    {
        Console.WriteLine("BENCH " + System.Text.Json.JsonSerializer.Serialize(new { name, value = Math.Round(value, 4), unit, target, pass }));
        return pass;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
