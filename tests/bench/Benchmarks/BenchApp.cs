using Crisis.Functions.Access;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

/// <summary>The app in process, on the benchmark's Azurite, with a fresh name prefix and its timers off.</summary>
internal sealed class BenchApp(string connectionString, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public const string AdminKey = "bench-admin-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:ConnectionString", connectionString);
        builder.UseSetting("Storage:NamePrefix", "b" + Guid.NewGuid().ToString("N")[..10]);
        builder.UseSetting("Hosting:LocalScheduler", "false");
        builder.UseSetting("Access:ApiKeys:0:Name", "bench");
        builder.UseSetting("Access:ApiKeys:0:Role", "admin");
        builder.UseSetting("Access:ApiKeys:0:Sha256", ApiKeyAuthenticationHandler.Hash(AdminKey));
        builder.UseSetting("Tokens:SigningKeys:0:Id", "bench");
        builder.UseSetting("Tokens:SigningKeys:0:Secret", Convert.ToBase64String(new byte[32]));
        builder.UseSetting("Webhooks:SigningSecret", "whsec_" + Convert.ToBase64String(new byte[32]));
        builder.UseSetting("Subscriptions:ContactHashKey", Convert.ToBase64String(new byte[32]));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
        configure?.Invoke(builder);
    }
}
