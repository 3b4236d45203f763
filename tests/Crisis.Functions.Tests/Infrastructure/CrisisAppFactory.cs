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

    public const string AdminKey = "test-admin-key-7f3c2a";
    public const string AgentKey = "test-agent-key-91b4de";
    public const string AdminName = "test-admin";

    public HttpClient CreateAdminClient() => CreateClientWithKey(AdminKey);

    public HttpClient CreateAgentClient() => CreateClientWithKey(AgentKey);

    public HttpClient CreateClientWithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:ConnectionString", connectionString);
        builder.UseSetting("Storage:NamePrefix", NamePrefix);
        builder.UseSetting("Hosting:LocalScheduler", "false");
        builder.UseSetting("Access:ApiKeys:0:Name", AdminName);
        builder.UseSetting("Access:ApiKeys:0:Role", "admin");
        builder.UseSetting("Access:ApiKeys:0:Sha256", Access.ApiKeyAuthenticationHandler.Hash(AdminKey));
        builder.UseSetting("Access:ApiKeys:1:Name", "test-agent");
        builder.UseSetting("Access:ApiKeys:1:Role", "agent");
        builder.UseSetting("Access:ApiKeys:1:Sha256", Access.ApiKeyAuthenticationHandler.Hash(AgentKey));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}
