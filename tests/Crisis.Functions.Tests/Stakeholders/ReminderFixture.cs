using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

/// <summary>An app on a hand-moved clock, a webhook receiver, an active crisis, and helpers to drive the reminder timer as the host does.</summary>
public sealed class ReminderFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly string[] Areas = ["shipping"];

    private ReminderFixture(CrisisAppFactory app, WebhookReceiver receiver, ManualTimeProvider clock, string crisisId)
    {
        App = app;
        Receiver = receiver;
        Clock = clock;
        CrisisId = crisisId;
        Admin = app.CreateAdminClient();
        Client = app.CreateClient();
    }

    public CrisisAppFactory App { get; }

    public WebhookReceiver Receiver { get; }

    public ManualTimeProvider Clock { get; }

    public string CrisisId { get; }

    public HttpClient Admin { get; }

    public HttpClient Client { get; }

    public static async Task<ReminderFixture> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var clock = new ManualTimeProvider(Start);

        // Only the timer sends here (no background sending after a publish or a queued message), so a test reads
        // what a run sent as soon as the run returns, and no send outlives the run that a test kills. Stakeholders
        // answer many links in a test's few seconds: the public write limit is for floods, not for them.
        var all = new Dictionary<string, string?> { ["Outbox:SendInBackground"] = "false", ["RateLimits:PublicWritesPerMinute"] = "1000" };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }

        var app = await CrisisAppFactory.CreateAsync(all, clock);
        var receiver = await WebhookReceiver.StartAsync();
        using var admin = app.CreateAdminClient();
        var crisisId = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en", "fa"));
        return new ReminderFixture(app, receiver, clock, crisisId);
    }

    public async Task<string> AddStakeholderAsync(string name, string role, bool canPublish = false, string? email = null, string timeZone = "Europe/London", string language = "en")
    {
        var created = await Admin.PostAsJsonAsync("/api/admin/stakeholders", new
        {
            name,
            role,
            language,
            timeZone,
            email,
            webhookUrl = email is null ? Receiver.Url(name) : null,
            areas = Areas,
            canPublish,
        });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    public async Task<string> ExpectAsync(string ownerId, TimeSpan dueIn, string? cadence = null, string grace = "00:30:00", string? crisisId = null)
    {
        var created = await Admin.PostAsJsonAsync($"/api/admin/crises/{crisisId ?? CrisisId}/expected-updates", new
        {
            ownerId,
            topic = "Shipping status",
            dueAt = Clock.Now + dueIn,
            cadence,
            gracePeriod = grace,
        });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>Invokes the timer exactly as the Functions host does.</summary>
    public Task<Host.TimerRun> RunTimerAsync(bool pastDue = false, HttpClient? client = null, CancellationToken cancellationToken = default) =>
        (client ?? Client).RunTimerAsync("Reminders", pastDue, cancellationToken);

    public List<ReceivedWebhook> DeliveredTo(string name)
    {
        lock (Receiver.Delivered)
        {
            return [.. Receiver.Delivered.Where(d => d.Path == "/" + name)];
        }
    }

    public static string ActionToken(ReceivedWebhook call)
    {
        var url = JsonDocument.Parse(call.Body).RootElement.GetProperty("actionUrl").GetString()!;
        return Uri.UnescapeDataString(url[(url.IndexOf("token=", StringComparison.Ordinal) + 6)..]);
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        await Receiver.DisposeAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One app on a hand-moved clock for the tests of a class; each test uses a crisis and stakeholders of its own.</summary>
public sealed class ReminderApp : IAsyncLifetime
{
    public ReminderFixture F { get; private set; } = null!;

    public async Task InitializeAsync() => F = await ReminderFixture.StartAsync();

    public async Task DisposeAsync() => await F.DisposeAsync();
}
