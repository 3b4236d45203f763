using Crisis.Functions.Hosting;

namespace Crisis.Functions.Health;

public static class HealthServices
{
    /// <summary>The health check and the heartbeat timer it reports on.</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services) => services.AddTimerFunction<HeartbeatTimer>();
}
