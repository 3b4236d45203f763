using Crisis.Functions.Hosting;

namespace Crisis.Functions.Touchpoints;

public static class TouchpointServices
{
    /// <summary>Touchpoints, their crisis overrides, restores and the expiry timer.</summary>
    public static IServiceCollection AddTouchpoints(this IServiceCollection services)
    {
        services.AddOptions<ExpiryOptions>().BindConfiguration(ExpiryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TouchpointStore>();
        services.AddSingleton<TouchpointPublisher>();
        services.AddSingleton<TouchpointRestorer>();
        services.AddTimerFunction<ExpiryTimer>();
        return services;
    }
}
