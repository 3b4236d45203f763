using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

public class LocalSchedulerTests
{
    [Fact]
    public async Task Without_the_host_the_local_scheduler_fires_timers_through_the_same_code_path()
    {
        await using var app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Hosting:LocalScheduler"] = "true",
            ["HEARTBEAT_SCHEDULE"] = "* * * * * *",
        });
        using var client = app.CreateClient();

        var trigger = await PollHeartbeatTriggerAsync(client, TimeSpan.FromSeconds(10));

        Assert.Equal(nameof(TimerTrigger.LocalScheduler), trigger);
    }

    [Fact]
    public async Task The_local_scheduler_stays_off_when_disabled()
    {
        await using var app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["HEARTBEAT_SCHEDULE"] = "* * * * * *" });
        using var client = app.CreateClient();

        Assert.Null(await PollHeartbeatTriggerAsync(client, TimeSpan.FromSeconds(2.5)));
    }

    internal static async Task<string?> PollHeartbeatTriggerAsync(HttpClient client, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var health = await (await client.GetAsync("/api/health")).ReadJsonAsync();
            if (health.GetProperty("lastHeartbeatTrigger").GetString() is { } trigger)
            {
                return trigger;
            }

            await Task.Delay(200);
        }

        return null;
    }
}
