using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

/// <summary>
/// Email end to end: 10k confirmed email subscribers of a crisis, an in-process SMTP sink (SmtpServer) that counts
/// messages by Message-ID; an update is published and queued and sent at once, as the background pump does, until
/// the sink has every message. Target: at least 500 messages a second.
/// </summary>
internal static class EmailBenchmark
{
    private const int Total = 10_000;
    private static readonly string[] English = ["en"];

    public static async Task<int> RunAsync()
    {
        await using var azurite = await Crisis.Functions.Host.Local.EmbeddedAzurite.StartAsync();
        var sink = new CountingStore();
        var port = Crisis.Functions.Host.Local.LoopbackPorts.Free();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(sink);
        var server = new SmtpServer.SmtpServer(new SmtpServerOptionsBuilder().ServerName("localhost").Port(port).Build(), services);
        using var stop = new CancellationTokenSource();
        var serving = server.StartAsync(stop.Token);
        await using var app = BenchApp.Create(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Outbox:SendInBackground"] = "false",
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Smtp:UseTls"] = "false",
        });
        using var admin = app.CreateAdminClient();
        var crisis = (await (await admin.PostAsJsonAsync("/api/admin/crises", new { title = new { en = "Bench" }, summary = new { en = "s" }, severity = "major", defaultLanguage = "en", languages = English })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        (await admin.PostAsync($"/api/admin/crises/{crisis}/activate", null)).EnsureSuccessStatusCode();
        var storage = app.Services.GetRequiredService<CrisisStorage>();
        await SubscriberSeed.SubscribersAsync(await storage.TableAsync(SubscriberStore.TableName), crisis, Total, "Email", id => $"{id}@example.org");
        var fanout = app.Services.GetRequiredService<FanoutService>();
        var outbox = app.Services.GetRequiredService<Outbox>();

        sink.Clock.Restart();
        (await admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/updates", new { text = new { en = "Depots reopen on Monday." }, publish = true })).EnsureSuccessStatusCode();
        var feeding = fanout.RunAsync(int.MaxValue, CancellationToken.None);
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

        await feeding;
        await Task.Delay(500);
        var elapsed = sink.LastAt;
        var rate = sink.Distinct / elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Total:N0} emails: publish -> last delivery {elapsed.TotalSeconds:F1} s = {rate:N0} msg/s; {sink.Messages:N0} received, {sink.Distinct:N0} distinct"));
        await stop.CancelAsync();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default);

        var pass = Bench.Report("email_10k_rate", rate, "msg/s", ">= 500", rate >= 500);
        pass &= Bench.Report("email_10k_missing", Total - sink.Distinct, "messages", "== 0", sink.Distinct == Total);
        pass &= Bench.Report("email_10k_duplicates", sink.Messages - sink.Distinct, "messages", "== 0", sink.Messages == sink.Distinct);
        return pass ? 0 : 1;
    }

    /// <summary>Counts the messages it is given by their Message-ID, keeping nothing else.</summary>
    private sealed class CountingStore : MessageStore
    {
        private static readonly byte[] MessageIdHeader = Encoding.ASCII.GetBytes("\r\nMessage-ID: ");
        private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
        private int _messages;
        private long _lastTicks;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public int Messages => Volatile.Read(ref _messages);

        public int Distinct => _seen.Count;

        public TimeSpan LastAt => TimeSpan.FromTicks(Interlocked.Read(ref _lastTicks));

        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var bytes = buffer.ToArray();
            var at = bytes.AsSpan().IndexOf(MessageIdHeader);
            var id = at < 0 ? "" : Encoding.ASCII.GetString(bytes, at + MessageIdHeader.Length, bytes.AsSpan(at + MessageIdHeader.Length).IndexOf((byte)'\r'));
            _seen.AddOrUpdate(id, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _messages);
            Interlocked.Exchange(ref _lastTicks, Clock.Elapsed.Ticks);
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
