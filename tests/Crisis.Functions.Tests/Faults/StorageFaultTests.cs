using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Host;
using Crisis.Functions.Host.Local;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Subscriptions;
using Xunit.Abstractions;

namespace Crisis.Functions.Tests.Faults;

/// <summary>
/// An app on an Azurite of its own that keeps its data in a folder, so it can be stopped in the middle of a timer
/// run and started again on the same ports holding what it held, as a storage account comes back after an outage.
/// </summary>
public sealed class StorageFaultFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crisis-faults-" + Guid.NewGuid().ToString("N"));

    public EmbeddedAzurite Azurite { get; private set; } = null!;

    public SubscriptionFixture F { get; private set; } = null!;

    public int FaultsInjected { get; private set; }

    public async Task InitializeAsync()
    {
        Azurite = await EmbeddedAzurite.StartAsync(_folder);
        F = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Expiry:GracePeriod"] = "01:00:00" }, Azurite.ConnectionString);
    }

    /// <summary>Starts the timers <paramref name="names"/> and stops storage while they run.</summary>
    public async Task RunWhileStorageStopsAsync(params string[] names)
    {
        var runs = names.Select(name => F.App.RunTimerAsync(name)).ToList();
        await Azurite.DisposeAsync();
        FaultsInjected += names.Length;
        await Task.WhenAll(runs);
    }

    public async Task RestartStorageAsync() => Azurite = await Azurite.StartAgainAsync();

    public async Task DisposeAsync()
    {
        await F.DisposeAsync();
        await Azurite.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

public class StorageFaultTests(StorageFaultFixture fixture, ITestOutputHelper output) : IClassFixture<StorageFaultFixture>
{
    private const int Subscribers = 12;
    private SubscriptionFixture F => fixture.F;

    [Fact]
    public async Task Storage_stopping_during_a_fan_out_a_delivery_run_a_reminder_run_and_an_expiry_run_loses_and_repeats_nothing()
    {
        var paths = Enumerable.Range(0, Subscribers).Select(i => $"fault-{i}").ToList();
        foreach (var path in paths)
        {
            await F.SubscribeWebhookAsync(path);
        }

        var owner = await AddStakeholderAsync("fault-owner", "expert");
        var boss = await AddStakeholderAsync("fault-boss", "decision-maker");
        var expected = await F.Admin.PostAsJsonAsync($"/api/admin/crises/{F.CrisisId}/expected-updates", new
        {
            ownerId = owner, topic = "Depots", dueAt = F.Clock.Now + TimeSpan.FromMinutes(10), gracePeriod = "00:30:00", escalateTo = new[] { boss },
        });
        await expected.ReadJsonAsync();

        // 1. A fan-out (the job that queues one message per subscriber) and the reminder run for the owed update
        //    that just fell due are both cut off by the outage.
        var first = await F.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        var page = $"/api/crises/{F.CrisisId}";
        var before = await (await F.Client.GetAsync(page)).Content.ReadAsStringAsync();
        Assert.Contains("Depots reopen on Monday.", before, StringComparison.Ordinal);
        F.Clock.Advance(TimeSpan.FromMinutes(11));
        await fixture.RunWhileStorageStopsAsync("Notifications", "Reminders");
        await AssertOutageAnswersAsync(page, before);
        await fixture.RestartStorageAsync();
        await DrainAsync("Reminders");

        // 2. A delivery run (the outbox already full) and the escalation run for the overdue update.
        var second = await F.PublishUpdateAsync("Depots are open again.", "انبارها دوباره باز هستند.");
        var queued = await F.App.RunTimerAsync("Notifications");
        Assert.True(queued.Succeeded, queued.ErrorMessage);
        await F.PublishUpdateAsync("Deliveries resume Tuesday.", "تحویل‌ها سه‌شنبه از سر گرفته می‌شوند.");
        F.Clock.Advance(TimeSpan.FromMinutes(31));
        await fixture.RunWhileStorageStopsAsync("Notifications", "Reminders");
        await fixture.RestartStorageAsync();
        await DrainAsync("Reminders");

        // 3. The crisis ends (one "crisis.ended" per subscriber), and the expiry run that archives it is cut off.
        (await F.Admin.PostAsync($"/api/admin/crises/{F.CrisisId}/end", null)).EnsureSuccessStatusCode();
        F.Clock.Advance(TimeSpan.FromHours(2));
        await fixture.RunWhileStorageStopsAsync("CrisisExpiry", "Notifications");
        await fixture.RestartStorageAsync();
        await DrainAsync("CrisisExpiry");

        var effects = 0;
        foreach (var path in paths)
        {
            var messages = F.DeliveredTo(path).GroupBy(SubscriptionFixture.Type).ToDictionary(g => g.Key, g => g.Select(m => m.Id).Distinct().Count());
            Assert.True(messages.GetValueOrDefault("crisis.update") == 3, $"{path}: {messages.GetValueOrDefault("crisis.update")} updates");
            Assert.True(messages.GetValueOrDefault("crisis.ended") == 1, $"{path}: {messages.GetValueOrDefault("crisis.ended")} ends");
            effects += 4;
        }

        Assert.Single(F.DeliveredTo("fault-owner").Where(m => SubscriptionFixture.Type(m) == "update.due").Select(m => m.Id).Distinct());
        Assert.Single(F.DeliveredTo("fault-boss").Where(m => SubscriptionFixture.Type(m) == "update.overdue").Select(m => m.Id).Distinct());
        effects += 2;
        foreach (var update in new[] { first, second })
        {
            var status = await (await F.Admin.GetAsync($"/api/admin/crises/{F.CrisisId}/updates/{update}/notifications")).ReadJsonAsync();
            Assert.Equal(Subscribers, status.GetProperty("sent").GetInt32());
        }

        var crisis = await (await F.Admin.GetAsync($"/api/admin/crises/{F.CrisisId}")).ReadJsonAsync();
        Assert.Equal("archived", crisis.GetProperty("status").GetString());
        Assert.Single(await CrisisFixtures.AuditActionsAsync(F.Admin, F.CrisisId), a => a == "crisis.archive");
        effects++;

        output.WriteLine($"storage faults: {fixture.FaultsInjected} timer runs cut off in 3 outages (fan-out, delivery, due and overdue reminders, expiry, the end notice); {effects} effects checked, 0 lost, 0 duplicated");
    }

    /// <summary>While storage is away: writes and uncached reads answer 503 with Retry-After, the page held in memory its last good copy marked stale.</summary>
    private async Task AssertOutageAnswersAsync(string page, string before)
    {
        F.Clock.Advance(TimeSpan.FromSeconds(10));
        var cached = await F.Client.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(before, await cached.Content.ReadAsStringAsync());
        Assert.Equal(CachedDocumentResult.StaleCacheStatus, cached.Headers.GetValues("Cache-Status").Single());

        var answers = await Task.WhenAll(
            F.Admin.GetAsync("/api/admin/crises"),
            F.SubscribeAsync(new { email = "late@example.org", scope = F.CrisisId }),
            F.Admin.PostAsJsonAsync($"/api/admin/crises/{F.CrisisId}/updates", new { text = new { en = "x", fa = "y" } }));
        foreach (var answer in answers)
        {
            await answer.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, Problems.StorageUnavailable);
            Assert.True(answer.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
        }
    }

    /// <summary>Runs timer <paramref name="name"/> (and the sender) until they succeed with nothing left, moving the clock past any retry backoff.</summary>
    private async Task DrainAsync(string name)
    {
        for (var round = 0; round < 3; round++)
        {
            var run = await F.App.RunTimerAsync(name);
            Assert.True(run.Succeeded, $"{name} failed after storage came back: {run.ErrorMessage}\n{string.Join('\n', run.Logs)}");
            await F.RunTimerAsync();
            F.Clock.Advance(TimeSpan.FromMinutes(5));
        }
    }

    private async Task<string> AddStakeholderAsync(string name, string role)
    {
        var created = await F.Admin.PostAsJsonAsync("/api/admin/stakeholders", new { name, role, language = "en", timeZone = "UTC", webhookUrl = F.Receiver.Url(name) });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }
}
