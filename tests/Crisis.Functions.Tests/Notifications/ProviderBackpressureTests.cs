using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Subscriptions;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>A receiver that asks to slow down is waited for, not counted as failing.</summary>
public sealed class ProviderBackpressureTests : IAsyncLifetime
{
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Subscriptions:QuarantineAfterFailures"] = "1" });

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task A_webhook_answering_429_pauses_the_channel_and_its_message_waits_without_using_an_attempt_or_counting_as_failed()
    {
        await _f.SubscribeWebhookAsync("hooks/busy");
        var busy = true;
        _f.Receiver.Respond = call => busy && call.Path == "/hooks/busy" ? 429 : 200;
        var update = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");

        Assert.True((await _f.RunTimerAsync()).Succeeded);

        Assert.Single(_f.Receiver.Received, r => r.Path == "/hooks/busy" && SubscriptionFixture.Type(r) == "crisis.update");
        var status = await StatusAsync(update);
        Assert.Equal((0, 0, 0, 1), (status.GetProperty("sent").GetInt32(), status.GetProperty("failed").GetInt32(), status.GetProperty("quarantined").GetInt32(), status.GetProperty("queued").GetInt32()));
        var waiting = Assert.Single((await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{update}/notifications/recipients")).ReadJsonAsync()).GetProperty("recipients").EnumerateArray());
        Assert.Equal(("queued", 0), (waiting.GetProperty("status").GetString(), waiting.GetProperty("attempts").GetInt32()));
        Assert.Contains("429", waiting.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        _f.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        Assert.Single(_f.Receiver.Received, r => r.Path == "/hooks/busy" && SubscriptionFixture.Type(r) == "crisis.update");

        busy = false;
        _f.Clock.Advance(TimeSpan.FromSeconds(21));
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        Assert.Single(_f.DeliveredTo("hooks/busy"), d => SubscriptionFixture.Type(d) == "crisis.update");
        status = await StatusAsync(update);
        Assert.Equal((1, 0, 0, 0), (status.GetProperty("sent").GetInt32(), status.GetProperty("failed").GetInt32(), status.GetProperty("quarantined").GetInt32(), status.GetProperty("queued").GetInt32()));
        var delivered = Assert.Single((await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{update}/notifications/recipients")).ReadJsonAsync()).GetProperty("recipients").EnumerateArray());
        Assert.Equal(("sent", 1), (delivered.GetProperty("status").GetString(), delivered.GetProperty("attempts").GetInt32()));
    }

    private async Task<JsonElement> StatusAsync(string updateId) =>
        await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications")).ReadJsonAsync();
}
