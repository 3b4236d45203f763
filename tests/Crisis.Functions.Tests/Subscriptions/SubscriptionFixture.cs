using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>
/// An app on a hand-moved clock with a real SMTP server, a webhook receiver and the SMS stand-in, an active
/// crisis in English and Persian, and helpers to subscribe, confirm and publish through the HTTP API. The
/// background sending is off: tests drive the Notifications timer as the host does.
/// </summary>
public sealed class SubscriptionFixture : IAsyncDisposable
{
    /// <summary>Now, to the minute: webhook receivers (the Standard Webhooks library) refuse timestamps far from their clock.</summary>
    public static DateTimeOffset Start => new(DateTimeOffset.UtcNow.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private SubscriptionFixture(CrisisAppFactory app, SmtpSink smtp, WebhookReceiver receiver, FakeSmsProvider sms, ManualTimeProvider clock, string crisisId)
    {
        App = app;
        Smtp = smtp;
        Receiver = receiver;
        Sms = sms;
        Clock = clock;
        CrisisId = crisisId;
        Admin = app.CreateAdminClient();
        Client = app.CreateClient();
    }

    public CrisisAppFactory App { get; }

    public SmtpSink Smtp { get; }

    public WebhookReceiver Receiver { get; }

    public FakeSmsProvider Sms { get; }

    public ManualTimeProvider Clock { get; }

    public string CrisisId { get; }

    public HttpClient Admin { get; }

    public HttpClient Client { get; }

    /// <summary>Starts on the shared test Azurite, or on the storage at <paramref name="connectionString"/>.</summary>
    public static async Task<SubscriptionFixture> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string? connectionString = null)
    {
        var clock = new ManualTimeProvider(Start);
        var smtp = await SmtpSink.StartAsync();
        var receiver = await WebhookReceiver.StartAsync();
        var sms = await FakeSmsProvider.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Smtp:UseTls"] = "false",
            ["Sms:Endpoint"] = sms.Endpoint,
            ["Sms:AccessKey"] = FakeSmsProvider.AccessKey,
            ["Sms:From"] = "+447700900000",
            ["Outbox:SendInBackground"] = "false",
            ["RateLimits:SubscribesPerMinute"] = "1000",
            ["RateLimits:PublicWritesPerMinute"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = connectionString is null ? await CrisisAppFactory.CreateAsync(all, clock) : new CrisisAppFactory(connectionString, all, clock);
        using var admin = app.CreateAdminClient();
        var crisisId = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en", "fa"));
        return new SubscriptionFixture(app, smtp, receiver, sms, clock, crisisId);
    }

    public async Task<HttpResponseMessage> SubscribeAsync(object body, string? idempotencyKey = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/subscriptions") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await (client ?? Client).SendAsync(request);
    }

    /// <summary>Invokes the Notifications timer exactly as the Functions host does; a failed run fails the test with what the worker logged.</summary>
    public async Task<Host.TimerRun> RunTimerAsync(HttpClient? client = null)
    {
        var run = await (client ?? Client).RunTimerAsync("Notifications");
        Assert.True(run.Succeeded, $"The Notifications run failed: {run.ErrorMessage}\n{string.Join('\n', run.Logs)}");
        return run;
    }

    public async Task<string> PublishUpdateAsync(string english, string persian, string? topic = null)
    {
        var response = await Admin.PostAsJsonAsync($"/api/admin/crises/{CrisisId}/updates", new { text = new Dictionary<string, string> { ["en"] = english, ["fa"] = persian }, publish = true, topic });
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>Subscribes a webhook at the receiver's <paramref name="path"/>, delivers its confirmation and confirms it; returns the confirm answer.</summary>
    public async Task<JsonElement> SubscribeWebhookAsync(string path, string language = "en", object? topics = null)
    {
        (await SubscribeAsync(new { webhookUrl = Receiver.Url(path), language, topics })).EnsureSuccessStatusCode();
        await RunTimerAsync();
        var confirmation = DeliveredTo(path).Last(d => Type(d) == "subscription.confirm");
        return await ConfirmAsync(Json(confirmation).GetProperty("confirmUrl").GetString()!);
    }

    public async Task<JsonElement> ConfirmAsync(string confirmUrl)
    {
        var response = await Client.PostAsync(PathOf(confirmUrl), null);
        return await response.ReadJsonAsync();
    }

    public List<ReceivedWebhook> DeliveredTo(string path)
    {
        lock (Receiver.Delivered)
        {
            return [.. Receiver.Delivered.Where(d => d.Path == "/" + path)];
        }
    }

    public static JsonElement Json(ReceivedWebhook call) => JsonDocument.Parse(call.Body).RootElement;

    public static string Type(ReceivedWebhook call) => Json(call).GetProperty("type").GetString()!;

    /// <summary>The path and query of an absolute link in a message, to call it on the in-process app.</summary>
    public static string PathOf(string url) => new Uri(url).PathAndQuery;

    /// <summary>The first link in <paramref name="text"/> to /api/subscriptions/{action}.</summary>
    public static string LinkIn(string text, string action)
    {
        var start = text.IndexOf($"/api/subscriptions/{action}?token=", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {action} link in: {text}");
        var end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('<' or '>' or '"' or MessageCatalogue.PopDirectionalIsolate))
        {
            end++;
        }

        return text[start..end];
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        await App.DisposeAsync();
        await Sms.DisposeAsync();
        await Receiver.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
