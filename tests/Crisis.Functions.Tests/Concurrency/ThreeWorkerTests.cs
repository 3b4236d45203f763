using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Subscriptions;
using Xunit.Abstractions;

namespace Crisis.Functions.Tests.Concurrency;

/// <summary>Three workers on one storage account (one name prefix) and one hand-moved clock, as three instances of the app in Azure.</summary>
public sealed class ThreeWorkers : IAsyncLifetime
{
    public SubscriptionFixture F { get; private set; } = null!;

    public IReadOnlyList<CrisisAppFactory> Apps { get; private set; } = [];

    public IReadOnlyList<HttpClient> Clients { get; private set; } = [];

    public IReadOnlyList<HttpClient> Admins { get; private set; } = [];

    public async Task InitializeAsync()
    {
        F = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Expiry:GracePeriod"] = "01:00:00" });
        var connection = (await TestAzurite.GetAsync()).ConnectionString;
        var others = Enumerable.Range(0, 2).Select(_ => new CrisisAppFactory(connection, new Dictionary<string, string?>
        {
            ["Storage:NamePrefix"] = F.App.NamePrefix,
            ["Outbox:SendInBackground"] = "false",
            ["RateLimits:SubscribesPerMinute"] = "1000",
            ["Expiry:GracePeriod"] = "01:00:00",
        }, F.Clock)).ToList();
        Apps = [F.App, .. others];
        Clients = [.. Apps.Select(a => a.CreateClient())];
        Admins = [.. Apps.Select(a => a.CreateAdminClient())];
    }

    /// <summary>Fires each timer on all three workers at the same instant; every run must succeed.</summary>
    public async Task FireAllAsync(params string[] timers)
    {
        var runs = await Task.WhenAll(timers.SelectMany(t => Apps.Select(a => a.RunTimerAsync(t))));
        Assert.All(runs, r => Assert.True(r.Succeeded, $"{r.ErrorMessage}\n{string.Join('\n', r.Logs)}"));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in Clients.Concat(Admins))
        {
            client.Dispose();
        }

        foreach (var app in Apps.Skip(1))
        {
            await app.DisposeAsync();
        }

        await F.DisposeAsync();
    }
}

public class ThreeWorkerTests(ThreeWorkers w, ITestOutputHelper output) : IClassFixture<ThreeWorkers>
{
    private const int Subscribers = 9;
    private const int OwedUpdates = 6;
    private const int Updates = 4;

    [Fact]
    public async Task Timers_firing_on_three_workers_at_the_same_instants_send_every_reminder_escalation_notification_and_expiry_exactly_once()
    {
        var f = w.F;

        // Each contact subscribes through all three workers at once: one subscription each.
        var paths = Enumerable.Range(0, Subscribers).Select(i => $"three-{i}").ToList();
        var subscribes = await Task.WhenAll(paths.SelectMany(path => w.Clients.Select(client =>
            f.SubscribeAsync(new { webhookUrl = f.Receiver.Url(path), scope = f.CrisisId, language = "en" }, client: client))));
        Assert.All(subscribes, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await w.FireAllAsync(NotificationsTimer.FunctionName);
        foreach (var path in paths)
        {
            // Each request sent a confirmation; only the latest link confirms, the superseded ones answer 409.
            var links = f.DeliveredTo(path).Where(d => SubscriptionFixture.Type(d) == "subscription.confirm")
                .Select(d => SubscriptionFixture.PathOf(SubscriptionFixture.Json(d).GetProperty("confirmUrl").GetString()!)).Distinct().ToList();
            var answers = await Task.WhenAll(links.Select(link => f.Client.PostAsync(link, null)));
            Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) == 1, $"{path}: {string.Join(", ", answers.Select(a => (int)a.StatusCode))}");
        }

        var counts = await (await f.Admin.GetAsync($"/api/admin/crises/{f.CrisisId}/subscribers/counts")).ReadJsonAsync();
        Assert.Equal(Subscribers, counts.GetProperty("total").GetInt32());

        var boss = await StakeholderAsync("three-boss", "decision-maker");
        var owners = new List<string>();
        for (var i = 0; i < OwedUpdates; i++)
        {
            var owner = "three-owner-" + i;
            owners.Add(owner);
            var id = await StakeholderAsync(owner, "expert");
            var owed = await f.Admin.PostAsJsonAsync($"/api/admin/crises/{f.CrisisId}/expected-updates", new
            {
                ownerId = id, topic = "Depots " + i, dueAt = f.Clock.Now + TimeSpan.FromMinutes(5 + (10 * i)), gracePeriod = "00:30:00", escalateTo = new[] { boss },
            });
            await owed.ReadJsonAsync();
        }

        // Every 10 minutes for two hours: the timers fire on all three workers at once, while updates are published through each.
        for (var round = 0; round < 12; round++)
        {
            f.Clock.Advance(TimeSpan.FromMinutes(10));
            var publishing = round < Updates
                ? w.Admins[round % 3].PostAsJsonAsync($"/api/admin/crises/{f.CrisisId}/updates", new { text = new { en = $"Update {round}.", fa = $"به‌روزرسانی {round}." }, publish = true })
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.Created));
            await Task.WhenAll(publishing, w.FireAllAsync("Reminders", NotificationsTimer.FunctionName));
            Assert.True((await publishing).IsSuccessStatusCode);
        }

        (await w.Admins[1].PostAsync($"/api/admin/crises/{f.CrisisId}/end", null)).EnsureSuccessStatusCode();
        for (var round = 0; round < 4; round++)
        {
            f.Clock.Advance(TimeSpan.FromMinutes(30));
            await w.FireAllAsync("CrisisExpiry", NotificationsTimer.FunctionName, "Reminders");
        }

        var checkedEffects = 0;
        foreach (var path in paths)
        {
            var updates = Distinct(path, "crisis.update");
            Assert.True(updates == Updates, $"{path}: {updates} of {Updates} updates");
            Assert.True(Distinct(path, "crisis.ended") == 1, $"{path}: {Distinct(path, "crisis.ended")} end notices");
            checkedEffects += Updates + 1;
        }

        foreach (var owner in owners)
        {
            Assert.True(Distinct(owner, "update.due") == 1, $"{owner}: {Distinct(owner, "update.due")} reminders");
            checkedEffects++;
        }

        Assert.Equal(OwedUpdates, Distinct("three-boss", "update.overdue"));
        checkedEffects += OwedUpdates;
        Assert.Single(await CrisisFixtures.AuditActionsAsync(f.Admin, f.CrisisId), a => a == "crisis.archive");
        checkedEffects++;
        output.WriteLine($"concurrency: 3 workers, {12 + 4} timer instants, {checkedEffects} effects checked exactly once, 0 failures");
    }

    [Fact]
    public async Task Concurrent_edits_of_one_document_through_three_workers_let_exactly_one_win_and_answer_412_to_the_others()
    {
        var f = w.F;
        var id = await CrisisFixtures.CreateAsync(f.Admin, CrisisFixtures.NewCrisis("en"));
        var lost = 0;
        for (var round = 0; round < 5; round++)
        {
            var current = await f.Admin.GetAsync($"/api/admin/crises/{id}");
            var etag = current.Headers.ETag!.Tag;
            var edits = await Task.WhenAll(w.Admins.Select((admin, i) =>
            {
                var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/admin/crises/{id}") { Content = JsonContent.Create(new { title = new { en = $"Round {round} by worker {i}" } }) };
                request.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
                return admin.SendAsync(request);
            }));
            var won = edits.Select((r, i) => (r, i)).Where(x => x.r.StatusCode == HttpStatusCode.OK).ToList();
            Assert.Single(won);
            foreach (var refused in edits.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                await refused.AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);
                lost++;
            }

            var title = (await (await f.Admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync()).GetProperty("title").GetProperty("en").GetString();
            Assert.Equal($"Round {round} by worker {won[0].i}", title);
        }

        Assert.Equal(5, (await CrisisFixtures.AuditActionsAsync(f.Admin, id)).Count(a => a == "crisis.edit"));
        output.WriteLine($"concurrent edits: 5 rounds of 3, 5 won, {lost} answered 412, none lost");
    }

    private int Distinct(string path, string type) =>
        w.F.DeliveredTo(path).Where(d => SubscriptionFixture.Type(d) == type).Select(d => d.Id).Distinct().Count();

    private async Task<string> StakeholderAsync(string name, string role)
    {
        var created = await w.F.Admin.PostAsJsonAsync("/api/admin/stakeholders", new { name, role, language = "en", timeZone = "UTC", webhookUrl = w.F.Receiver.Url(name) });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }
}
