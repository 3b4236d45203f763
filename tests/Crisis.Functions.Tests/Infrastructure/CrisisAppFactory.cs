using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// The app, in process, against real Azurite storage under its own name prefix. The local scheduler is off
/// unless a test turns it on; extra settings override appsettings.json.
/// </summary>
public sealed class CrisisAppFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public string NamePrefix { get; } = TestAzurite.NewPrefix();

    public static async Task<CrisisAppFactory> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        new((await TestAzurite.GetAsync()).ConnectionString, settings);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:ConnectionString", connectionString);
        builder.UseSetting("Storage:NamePrefix", NamePrefix);
        builder.UseSetting("Hosting:LocalScheduler", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}
