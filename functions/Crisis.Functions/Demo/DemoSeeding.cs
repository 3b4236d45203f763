namespace Crisis.Functions.Demo;

/// <summary>Whether to seed the demo crisis at start (the local run sets <c>Demo:Seed=true</c>; never set in Azure).</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    public bool Seed { get; set; }
}

/// <summary>Seeds the demo crisis once the worker has started, when <see cref="DemoOptions.Seed"/> is on. Seeding is idempotent.</summary>
public sealed class DemoSeeding(IServiceProvider services, Microsoft.Extensions.Options.IOptions<DemoOptions> options, ILogger<DemoSeeding> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Seed)
        {
            return;
        }

        await DemoContent.SeedAsync(services, stoppingToken);
        logger.LogInformation("Demo crisis {CrisisId} is ready", DemoContent.CrisisId);
    }
}

public static class DemoServices
{
    public static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section);
        services.AddHostedService<DemoSeeding>();
        return services;
    }
}
