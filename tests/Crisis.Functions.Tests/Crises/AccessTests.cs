using System.Net;
using System.Text;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Crises;

public class AccessTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;

    public async Task InitializeAsync() => _app = await CrisisAppFactory.CreateAsync();

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    /// <summary>Every route under /api/admin (or another prefix), with its route values filled in, from the app's [Function] methods.</summary>
    private static List<(HttpMethod Method, string Path)> AdminRoutes(string prefix = "/api/admin") =>
        [.. FunctionCatalog.Http.Values
            .Where(f => ("/api/" + f.Route).StartsWith(prefix, StringComparison.Ordinal))
            .SelectMany(f => f.Methods.Select(m => (
                new HttpMethod(m),
                ("/api/" + f.Route).Replace("{id}", "some-crisis", StringComparison.Ordinal)
                    .Replace("{updateId}", "u1", StringComparison.Ordinal)
                    .Replace("{questionId}", "q1", StringComparison.Ordinal)
                    .Replace("{stakeholderId}", "s1", StringComparison.Ordinal)
                    .Replace("{expectedUpdateId}", "e1", StringComparison.Ordinal)
                    .Replace("{subscriberId}", "b1", StringComparison.Ordinal)
                    .Replace("{version}", "1", StringComparison.Ordinal)
                    .Replace("{touchpointId}", "t1", StringComparison.Ordinal)
                    .Replace("{responseId}", "r1", StringComparison.Ordinal))))];

    [Fact]
    public async Task Every_admin_route_refuses_requests_without_a_credential()
    {
        using var client = _app.CreateClient();
        var routes = AdminRoutes();
        Assert.True(routes.Count >= 16);
        foreach (var (method, path) in routes)
        {
            var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, Problems.Unauthenticated);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Theory]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer ")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer test-admin-key-7f3c2a-but-longer")]
    public async Task Every_admin_route_refuses_invalid_credentials(string authorization)
    {
        using var client = _app.CreateClient();
        foreach (var (method, path) in AdminRoutes())
        {
            var request = new HttpRequestMessage(method, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            await (await client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.Unauthorized, Problems.Unauthenticated);
        }
    }

    [Fact]
    public async Task Every_admin_route_refuses_the_agent_role()
    {
        using var agent = _app.CreateAgentClient();
        foreach (var (method, path) in AdminRoutes())
        {
            var response = await agent.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
            await response.AssertProblemAsync(HttpStatusCode.Forbidden, Problems.Forbidden);
        }
    }

    [Fact]
    public async Task Agent_routes_refuse_requests_without_a_valid_credential_and_admit_agents()
    {
        using var anonymous = _app.CreateClient();
        using var forged = _app.CreateClientWithKey("forged-key");
        using var agent = _app.CreateAgentClient();
        var routes = AdminRoutes("/api/agent");
        Assert.NotEmpty(routes);
        foreach (var (method, path) in routes)
        {
            await (await anonymous.SendAsync(new HttpRequestMessage(method, path))).AssertProblemAsync(HttpStatusCode.Unauthorized, Problems.Unauthenticated);
            await (await forged.SendAsync(new HttpRequestMessage(method, path))).AssertProblemAsync(HttpStatusCode.Unauthorized, Problems.Unauthenticated);
            await (await agent.SendAsync(new HttpRequestMessage(method, path))).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        }
    }

    [Fact]
    public async Task The_admin_key_is_accepted_and_named_in_the_audit_log()
    {
        using var admin = _app.CreateAdminClient();
        var id = await CrisisFixtures.CreateAsync(admin, CrisisFixtures.NewCrisis("en"));

        var audit = await (await admin.GetAsync($"/api/admin/crises/{id}/audit")).ReadJsonAsync();

        Assert.Equal(CrisisAppFactory.AdminName, audit.GetProperty("entries")[0].GetProperty("actor").GetString());
    }

    [Fact]
    public void Keys_are_configured_as_sha256_hashes_never_in_clear()
    {
        var configuration = _app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var stored = configuration.GetSection("Access:ApiKeys").GetChildren().Select(k => k["Sha256"]).ToList();
        Assert.Equal(2, stored.Count);
        Assert.DoesNotContain(CrisisAppFactory.AdminKey, stored);
        Assert.Contains(Access.ApiKeyAuthenticationHandler.Hash(CrisisAppFactory.AdminKey), stored);
        Assert.Equal(64, stored[0]!.Length);
    }
}
