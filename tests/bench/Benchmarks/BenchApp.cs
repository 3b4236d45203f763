using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

/// <summary>The app as the tests run it (the local Functions host driving the in-process worker), on the benchmark's Azurite, quiet.</summary>
internal static class BenchApp
{
    public const string AdminKey = CrisisAppFactory.AdminKey;

    public static CrisisAppFactory Create(string connectionString, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",

            // The reminder benchmark reads each run's summary line.
            ["Logging:LogLevel:Crisis.Functions.Hosting.TimerRuns"] = "Information",
        };
        return new CrisisAppFactory(connectionString, all, null, services);
    }
}
