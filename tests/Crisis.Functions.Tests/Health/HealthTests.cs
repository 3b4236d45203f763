using System.Net;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Health;

public class HealthTests
{
    [Fact]
    public async Task Health_is_healthy_while_storage_answers_and_503_once_it_is_gone()
    {
        var azurite = await TestAzurite.StartOwnAsync();
        await using var app = new CrisisAppFactory(azurite.ConnectionString);
        using var client = app.CreateClient();

        var healthy = await client.GetAsync("/api/health");
        var report = await healthy.ReadJsonAsync();
        Assert.Equal("healthy", report.GetProperty("status").GetString());
        Assert.Equal("no-store", healthy.Headers.CacheControl?.ToString());

        await azurite.DisposeAsync();

        var down = await client.GetAsync("/api/health");
        var problem = await down.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, Problems.StorageUnavailable);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.DoesNotContain("127.0.0.1", problem.GetRawText(), StringComparison.Ordinal);
        Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        var alive = await client.GetAsync("/api/ping");
        Assert.Equal(HttpStatusCode.NoContent, alive.StatusCode);
    }

    [Fact]
    public async Task Health_is_rate_limited_per_client_like_the_public_reads()
    {
        await using var app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["RateLimits:PublicReadsPerMinute"] = "3" });
        using var client = app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        }

        var limited = await client.GetAsync("/api/health");

        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, Problems.RateLimited);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.NoContent, (await client.GetAsync("/api/ping")).StatusCode);
    }

    [Fact]
    public async Task Every_answer_forbids_content_type_sniffing()
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var admin = app.CreateAdminClient();
        using var client = app.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));

        foreach (var path in new[] { "/api/health", $"/api/crises/{id}", $"/api/crises/{id}/feed.atom", "/api/crises/no-such-crisis", "/api/openapi/v1.json", "/api/subscriptions/confirm?token=x" })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values), $"{path}: no X-Content-Type-Options");
            Assert.Equal("nosniff", values.Single());
        }
    }

    [Fact]
    public async Task OpenApi_document_describes_every_http_function()
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var client = app.CreateClient();

        var document = await (await client.GetAsync("/api/openapi/v1.json")).ReadJsonAsync();
        var paths = document.GetProperty("paths");

        var functions = FunctionCatalog.Http.Values.Where(f => f.Name != "OpenApi").ToList();
        Assert.NotEmpty(functions);
        foreach (var function in functions)
        {
            var path = "/api/" + function.Route;
            Assert.True(paths.TryGetProperty(path, out var operations), $"{path} is missing from the OpenAPI document");
            foreach (var method in function.Methods)
            {
                Assert.True(operations.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is missing");
                Assert.Equal(function.Name, operation.GetProperty("operationId").GetString());
                Assert.True(operation.GetProperty("responses").EnumerateObject().Any(), $"{function.Name} documents no response");
            }
        }

        var crisis = paths.GetProperty("/api/admin/crises/{id}").GetProperty("get");
        Assert.Contains("200", crisis.GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.Contains("401", crisis.GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.Equal("id", crisis.GetProperty("parameters")[0].GetProperty("name").GetString());
        Assert.True(document.GetProperty("components").GetProperty("schemas").EnumerateObject().Any(), "no response schemas");
        var page = paths.GetProperty("/api/crises/{id}").GetProperty("get").GetProperty("parameters").EnumerateArray().ToList();
        Assert.Contains(page, p => p.GetProperty("name").GetString() == "lang" && p.GetProperty("in").GetString() == "query");
        var subscribers = paths.GetProperty("/api/admin/crises/{id}/subscribers").GetProperty("get").GetProperty("parameters").EnumerateArray().ToList();
        Assert.Contains(subscribers, p => p.GetProperty("name").GetString() == "pageSize" && p.GetProperty("schema").GetProperty("type").GetString() == "integer");
        Assert.False(paths.TryGetProperty("/Heartbeat", out _), "timer endpoints belong to the host, not to the public API");
        Assert.Equal(JsonValueKind.Object, paths.ValueKind);
    }
}
