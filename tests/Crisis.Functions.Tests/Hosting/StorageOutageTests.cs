using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

public class StorageOutageTests
{
    [Fact]
    public async Task Every_kind_of_route_answers_503_with_retry_after_while_storage_is_down()
    {
        var azurite = await TestAzurite.StartOwnAsync();
        await using var app = new CrisisAppFactory(azurite.ConnectionString);
        using var admin = app.CreateAdminClient();
        using var anonymous = app.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));
        await azurite.DisposeAsync();

        var requests = new (string Name, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("admin list", () => admin.GetAsync("/api/admin/crises")),
            ("admin create", () => admin.PostAsJsonAsync("/api/admin/crises", CrisisFixtures.NewCrisis("en"))),
            ("admin audit", () => admin.GetAsync($"/api/admin/crises/{id}/audit")),
            ("content save", () => admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", new JsonObject())),
            ("stakeholders", () => admin.GetAsync("/api/admin/stakeholders")),
            ("touchpoint", () => anonymous.GetAsync("/api/touchpoints/home-banner")),
            ("subscribe", () => anonymous.PostAsJsonAsync("/api/subscriptions", new JsonObject { ["email"] = "reader@example.org", ["scope"] = id, ["language"] = "en" })),
            ("ask", () => anonymous.PostAsJsonAsync($"/api/crises/{id}/questions", new JsonObject { ["text"] = "When will it be back?", ["language"] = "en" })),
        };

        var answers = await Task.WhenAll(requests.Select(async r => (r.Name, Response: await r.Send())));

        foreach (var (name, response) in answers)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{name}: {(int)response.StatusCode} {body}");
            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, Problems.StorageUnavailable);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{name}: no Retry-After");
            Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        }
    }
}
