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

    [Fact]
    public async Task Public_reads_held_in_memory_are_served_from_the_last_good_copy_marked_stale_while_storage_is_down()
    {
        var azurite = await TestAzurite.StartOwnAsync();
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new CrisisAppFactory(azurite.ConnectionString, time: clock);
        using var admin = app.CreateAdminClient();
        using var anonymous = app.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));
        var neverRead = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));
        var paths = new[] { $"/api/crises/{id}", $"/api/crises/{id}/faq", $"/api/crises/{id}/feed.atom", "/api/crises" };
        var before = new Dictionary<string, string>();
        foreach (var path in paths)
        {
            before[path] = await (await anonymous.GetAsync(path)).Content.ReadAsStringAsync();
        }

        await azurite.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(10));

        foreach (var path in paths)
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.Equal(before[path], await response.Content.ReadAsStringAsync());
            Assert.Equal(Crisis.Functions.PublicPages.CachedDocumentResult.StaleCacheStatus, response.Headers.GetValues("Cache-Status").Single());
        }

        var unknown = await anonymous.GetAsync($"/api/crises/{neverRead}");
        await unknown.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, Problems.StorageUnavailable);
    }
}
