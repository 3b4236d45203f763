using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Reminder timer cost against the number of expected updates: the same 50 due occurrences among 1k and
/// among 100k expected updates. The timer reads the due index only, so the two runs should cost the same (target: at most 1.5x).
/// </summary>
internal static class ReminderBenchmark
{
    private const int Due = 50;
    private static readonly string[] English = ["en"];

    public static async Task<int> RunAsync()
    {
        await using var azurite = await Crisis.Functions.Host.Local.EmbeddedAzurite.StartAsync();
        Console.WriteLine($"{"expected updates",16} {"populate s",11} {"run (50 due) ms",16} {"idle run ms",12} {"entries read",13}");
        var results = new List<(int Total, double RunMs, double IdleMs)>();
        foreach (var total in new[] { 1_000, 100_000 })
        {
            await using var app = BenchApp.Create(azurite.ConnectionString);
            using var admin = app.CreateClient();
            admin.DefaultRequestHeaders.Authorization = new("Bearer", BenchApp.AdminKey);
            var crisis = (await (await admin.PostAsJsonAsync("/api/admin/crises", new { title = new { en = "Bench" }, summary = new { en = "s" }, severity = "major", defaultLanguage = "en", languages = English })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await admin.PostAsync($"/api/admin/crises/{crisis}/activate", null);
            var owner = (await (await admin.PostAsJsonAsync("/api/admin/stakeholders", new { name = "owner", role = "expert", language = "en", timeZone = "UTC", email = "owner@example.org" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            await TimeRunAsync(app);
            var populate = Stopwatch.StartNew();
            await PopulateAsync(app.Services, crisis, owner, total - Due, DateTimeOffset.UtcNow.AddDays(7));
            var store = app.Services.GetRequiredService<StakeholderStore>();
            var updates = app.Services.GetRequiredService<ExpectedUpdateService>();
            for (var i = 0; i < Due; i++)
            {
                await updates.CreateAsync(crisis, new ExpectedUpdateRequest(owner, "due now", DateTimeOffset.UtcNow.AddSeconds(-1)), CancellationToken.None);
            }

            populate.Stop();
            var run = await TimeRunAsync(app);
            var idle = await TimeRunAsync(app);
            Console.WriteLine($"{total,16:N0} {populate.Elapsed.TotalSeconds,11:F1} {run.Ms,16:F0} {idle.Ms,12:F0} {run.Log,13}");
            results.Add((total, run.Ms, idle.Ms));
        }

        var ratio = results[1].RunMs / results[0].RunMs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle run at 100k / at 1k: {results[1].IdleMs / results[0].IdleMs:F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run time at 100k / at 1k: {ratio:F2} (cost follows what is due, not what exists)"));
        return Bench.Report("reminders_100k_vs_1k", ratio, "x", "<= 1.5x", ratio <= 1.5) ? 0 : 1;
    }

    private static async Task<(double Ms, string Log)> TimeRunAsync(CrisisAppFactory app)
    {
        var clock = Stopwatch.StartNew();
        var run = await app.RunTimerAsync("Reminders");
        clock.Stop();
        var summary = run.Logs.LastOrDefault(l => l.Contains("finished", StringComparison.Ordinal)) ?? run.ErrorMessage ?? "";
        return (clock.Elapsed.TotalMilliseconds, summary[(summary.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0]);
    }

    // Writes expected updates due next week, and their due-index rows, in 100-entity transactions.
    private static async Task PopulateAsync(IServiceProvider services, string crisis, string owner, int count, DateTimeOffset dueAt)
    {
        var storage = services.GetRequiredService<CrisisStorage>();
        var updates = await storage.TableAsync(StakeholderStore.ExpectedUpdateTable);
        var index = await storage.TableAsync(StakeholderStore.DueTable);
        var batches = new List<Task>();
        using var gate = new SemaphoreSlim(16);
        for (var start = 0; start < count; start += 100)
        {
            var ids = Enumerable.Range(start, Math.Min(100, count - start)).Select(i => "b" + i.ToString("D7", CultureInfo.InvariantCulture)).ToList();
            batches.Add(WriteAsync(gate, updates, ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(crisis, id)
            {
                ["Data"] = JsonSerializer.Serialize(new ExpectedUpdate
                {
                    Id = id, CrisisId = crisis, OwnerId = owner, Topic = "later", GracePeriod = TimeSpan.FromMinutes(30), Status = ExpectedUpdateStatus.Active,
                    Occurrences = [new Occurrence { Number = 1, DueAt = dueAt }], CreatedAt = DateTimeOffset.UtcNow,
                }, JsonBody.Options),
                ["OwnerId"] = owner,
            })).ToList()));
            batches.Add(WriteAsync(gate, index, ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("due", string.Create(CultureInfo.InvariantCulture, $"{dueAt.UtcTicks:D19}|r|{crisis}|{id}|000001")))).ToList()));
        }

        await Task.WhenAll(batches);
    }

    private static async Task WriteAsync(SemaphoreSlim gate, TableClient table, List<TableTransactionAction> actions)
    {
        await gate.WaitAsync();
        try
        {
            await table.SubmitAsync(actions);
        }
        finally
        {
            gate.Release();
        }
    }
}
