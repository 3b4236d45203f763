using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// The app, in process, against real Azurite storage under its own name prefix. The local scheduler is off
/// unless a test turns it on; extra settings override appsettings.json.
/// </summary>
public sealed class CrisisAppFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    : WebApplicationFactory<Program>
{
    public string NamePrefix { get; } = TestAzurite.NewPrefix();

    public static async Task<CrisisAppFactory> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        new((await TestAzurite.GetAsync()).ConnectionString, settings, time);

    public const string AdminKey = "test-admin-key-7f3c2a";
    public const string AgentKey = "test-agent-key-91b4de";
    public const string AdminName = "test-admin";

    /// <summary>Test secrets: fixed, so tests can verify signatures and forge tokens with other keys.</summary>
    public const string TokenSecret = "dGVzdC10b2tlbi1zaWduaW5nLWtleS0zMi1ieXRlcyE=";
    public const string WebhookSecret = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmctc2VjcmV0LTMyYnl0ZXM=";
    public const string ContactHashKey = "dGVzdC1jb250YWN0LWhhc2gta2V5LTMyLWJ5dGVzLWxvbmch";

    /// <summary>Settings every app under test gets, on top of appsettings.json.</summary>
    public static IReadOnlyDictionary<string, string> BaseSettings(string connectionString, string namePrefix) => new Dictionary<string, string>
    {
        ["Storage:ConnectionString"] = connectionString,
        ["Storage:NamePrefix"] = namePrefix,
        ["Hosting:LocalScheduler"] = "false",
        ["Access:ApiKeys:0:Name"] = AdminName,
        ["Access:ApiKeys:0:Role"] = "admin",
        ["Access:ApiKeys:0:Sha256"] = Access.ApiKeyAuthenticationHandler.Hash(AdminKey),
        ["Access:ApiKeys:1:Name"] = "test-agent",
        ["Access:ApiKeys:1:Role"] = "agent",
        ["Access:ApiKeys:1:Sha256"] = Access.ApiKeyAuthenticationHandler.Hash(AgentKey),
        ["Tokens:SigningKeys:0:Id"] = "test",
        ["Tokens:SigningKeys:0:Secret"] = TokenSecret,
        ["Webhooks:SigningSecret"] = WebhookSecret,
        ["Webhooks:AllowedPrivateHosts:0"] = "127.0.0.1",
        ["Subscriptions:ContactHashKey"] = ContactHashKey,
    };

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
        foreach (var (key, value) in BaseSettings(connectionString, NamePrefix))
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        if (time is not null)
        {
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton(time);
            });
        }
    }
}
