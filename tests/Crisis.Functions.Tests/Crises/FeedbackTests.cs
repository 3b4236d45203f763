using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

public class FeedbackTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _public = null!;
    private string _crisis = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["RateLimits:PublicWritesPerMinute"] = "50" });
        _admin = _app.CreateAdminClient();
        _public = _app.CreateClient();
        _crisis = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en", "fa"), new JsonObject
        {
            ["faq"] = new JsonArray(new JsonObject
            {
                ["id"] = "refund",
                ["category"] = "billing",
                ["order"] = 1,
                ["question"] = CrisisFixtures.Localised(("en", "Will I be refunded?")),
                ["answer"] = CrisisFixtures.Localised(("en", "Yes.")),
            }),
        });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _public.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Helpful_votes_are_accepted_for_published_faq_entries_only()
    {
        var response = await _public.PostAsJsonAsync($"/api/crises/{_crisis}/faq/refund/votes", new { helpful = true, language = "fa" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await (await _public.PostAsJsonAsync($"/api/crises/{_crisis}/faq/nope/votes", new { helpful = true })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _public.PostAsJsonAsync("/api/crises/no-such-crisis/faq/refund/votes", new { helpful = true })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _public.PostAsync($"/api/crises/{_crisis}/faq/refund/votes", Json("""{"helpful":"yes"}"""))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        await (await _public.PostAsync($"/api/crises/{_crisis}/faq/refund/votes", Json("""{}"""))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        await (await _public.PostAsync($"/api/crises/{_crisis}/faq/re%27fund/votes", Json("""{"helpful":true}"""))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
    }

    [Fact]
    public async Task Unanswered_questions_reach_admins_who_answer_them_with_an_faq_entry()
    {
        var asked = await _public.PostAsJsonAsync($"/api/crises/{_crisis}/questions", new { text = "Can I change my delivery address?", language = "en", contact = "reader@example.org" });
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);

        var open = await (await _admin.GetAsync($"/api/admin/crises/{_crisis}/questions")).ReadJsonAsync();
        var question = Assert.Single(open.GetProperty("questions").EnumerateArray());
        Assert.Equal("Can I change my delivery address?", question.GetProperty("text").GetString());
        Assert.Equal("reader@example.org", question.GetProperty("contact").GetString());
        Assert.Equal("open", question.GetProperty("status").GetString());
        var questionId = question.GetProperty("id").GetString();

        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{_crisis}/questions/{questionId}/answer", new { faqEntryId = "no-such-entry" }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        var answered = await (await _admin.PostAsJsonAsync($"/api/admin/crises/{_crisis}/questions/{questionId}/answer", new { faqEntryId = "refund" })).ReadJsonAsync();
        Assert.Equal("answered", answered.GetProperty("status").GetString());
        Assert.Equal(CrisisAppFactory.AdminName, answered.GetProperty("answeredBy").GetString());

        Assert.Empty((await (await _admin.GetAsync($"/api/admin/crises/{_crisis}/questions")).ReadJsonAsync()).GetProperty("questions").EnumerateArray());
        Assert.Single((await (await _admin.GetAsync($"/api/admin/crises/{_crisis}/questions?status=answered")).ReadJsonAsync()).GetProperty("questions").EnumerateArray());
        Assert.Contains("question.answer", await CrisisFixtures.AuditActionsAsync(_admin, _crisis));
        await (await _admin.GetAsync($"/api/admin/crises/{_crisis}/questions?status=maybe")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{_crisis}/questions/0000/answer", new { faqEntryId = "refund" })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
    }

    [Theory]
    [InlineData("""{"text":"Hi"}""", Problems.ValidationFailed)]
    [InlineData("""{"text":"A real question?","contact":"not-an-address"}""", Problems.ValidationFailed)]
    [InlineData("""{"text":"A real question?","contact":"a@b.org\r\nBcc: victim@example.org"}""", Problems.ValidationFailed)]
    [InlineData("""{"text":"A real question?","language":"zz"}""", Problems.ValidationFailed)]
    [InlineData("""{"text":"Null byte \u0000 inside"}""", Problems.ValidationFailed)]
    [InlineData("""{"text":42}""", Problems.InvalidJson)]
    [InlineData("""{"question":"wrong field"}""", Problems.InvalidJson)]
    public async Task Bad_questions_are_refused_and_store_nothing(string body, string problemType)
    {
        await (await _public.PostAsync($"/api/crises/{_crisis}/questions", Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest, problemType);
        var all = await (await _admin.GetAsync($"/api/admin/crises/{_crisis}/questions?status=all")).ReadJsonAsync();
        Assert.Empty(all.GetProperty("questions").EnumerateArray());
    }

    [Fact]
    public async Task Oversized_questions_are_refused()
    {
        var huge = "{\"text\":\"" + new string('x', 9000) + "\"}";
        await (await _public.PostAsync($"/api/crises/{_crisis}/questions", Json(huge))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, Problems.PayloadTooLarge);
    }

    [Fact]
    public async Task Public_writes_are_rate_limited_per_client_with_retry_after()
    {
        await using var strict = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["RateLimits:PublicWritesPerMinute"] = "3" });
        using var admin = strict.CreateAdminClient();
        using var client = strict.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/api/crises/{id}/questions", new { text = $"Question number {i}" })).StatusCode);
        }

        var limited = await client.PostAsJsonAsync($"/api/crises/{id}/questions", new { text = "One question too many" });
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, Problems.RateLimited);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(3, (await (await admin.GetAsync($"/api/admin/crises/{id}/questions")).ReadJsonAsync()).GetProperty("questions").GetArrayLength());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
