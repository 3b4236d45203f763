using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;

namespace Crisis.Functions.Tests.Triage;

public sealed class TriageTests : IAsyncLifetime
{
    private static readonly string[] RefundTag = ["refund"];
    private ReminderFixture _f = null!;
    private HttpClient _agent = null!;

    public async Task InitializeAsync()
    {
        _f = await ReminderFixture.StartAsync();
        _agent = _f.App.CreateAgentClient();
        await CrisisFixtures.SaveAndPublishContentAsync(_f.Admin, _f.CrisisId, JsonNode.Parse("""
            {"channels":[
              {"need":"delivery","channel":"portal","contact":"https://example.org/track"},
              {"need":"emergency","channel":"phone","contact":"tel:+442079460000"},
              {"need":"general","channel":"email","contact":"mailto:help@example.org"}]}
            """)!.AsObject());
        var rules = await _f.Admin.PutAsync($"/api/admin/crises/{_f.CrisisId}/triage-rules", Json("""
            {"rules":[
              {"tag":"refund","keywords":{"en":["refund","money back"],"fa":["بازپرداخت","پول"]}},
              {"tag":"delivery","keywords":{"en":["delivery","parcel"],"fa":["ارسال","بسته"]},"need":"delivery"},
              {"tag":"emergency","keywords":{"en":["flood","injured"],"fa":["سیل"]},"need":"emergency"}]}
            """));
        Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
    }

    public async Task DisposeAsync()
    {
        _agent.Dispose();
        await _f.DisposeAsync();
    }

    [Theory]
    [InlineData("I want my MONEY BACK now!", "en", "refund")]
    [InlineData("Is this ticket refundable?", "en", "")]
    [InlineData("Where is my parcel? Delivery was due Monday.", null, "delivery")]
    [InlineData("ارسال‌های من کجاست؟", "fa", "delivery")]
    [InlineData("خانه ما در سيل آسيب ديد", "fa", "emergency")]
    [InlineData("پولَم را پس بدهید", "fa", "")]
    [InlineData("پول من را پس بدهید", "fa", "refund")]
    [InlineData("refund for the بسته please", null, "refund,delivery")]
    [InlineData("refund for the بسته please", "en", "refund")]
    [InlineData("بازپرداخت", "fa-IR", "refund")]
    [InlineData("'; DROP TABLE crises; -- flood", "en", "emergency")]
    public async Task Messages_in_any_script_get_the_tags_of_whole_keyword_matches(string text, string? language, string expected)
    {
        var result = await ClassifyAsync(new { text, language });

        Assert.Equal(expected, string.Join(',', result.GetProperty("tags").EnumerateArray().Select(t => t.GetString())));
    }

    [Fact]
    public async Task Triage_suggests_approved_responses_for_the_tags_recommends_the_channel_for_the_need_and_counts_tags_per_hour()
    {
        var draft = await CannedResponseFixtures.CreateApprovedAsync(_f.Admin, _f.CrisisId, "Refund draft", RefundTag, approve: false);
        var approved = await CannedResponseFixtures.CreateApprovedAsync(_f.Admin, _f.CrisisId, "Refund policy", RefundTag);

        var refund = await ClassifyAsync(new { text = "Can I get a refund?", language = "en", channel = "email" });
        var suggested = Assert.Single(refund.GetProperty("suggestions").EnumerateArray());
        Assert.Equal(approved, suggested.GetProperty("id").GetString());
        Assert.NotEqual(draft, approved);
        Assert.Equal(JsonValueKind.Null, refund.GetProperty("recommendedChannel").ValueKind);

        var emergency = await ClassifyAsync(new { text = "خانه ما در سیل است", channel = "email" });
        var channel = emergency.GetProperty("recommendedChannel");
        Assert.Equal("phone", channel.GetProperty("channel").GetString());
        Assert.Equal("tel:+442079460000", channel.GetProperty("contact").GetString());
        Assert.False(channel.GetProperty("sameAsIncoming").GetBoolean());
        Assert.Equal("fa", emergency.GetProperty("matches")[0].GetProperty("language").GetString());

        await ClassifyAsync(new { text = "refund for my parcel", language = "en" });
        await ClassifyAsync(new { text = "nothing to see", language = "en" });
        var counts = (await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/triage/counts")).ReadJsonAsync()).GetProperty("counts").EnumerateArray()
            .ToDictionary(c => c.GetProperty("tag").GetString()!, c => c.GetProperty("count").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["delivery"] = 1, ["emergency"] = 1, ["refund"] = 2 }, counts);
    }

    [Theory]
    [InlineData("""{"language":"en"}""", 400, "urn:crisis-functions:problem:invalid-json")]
    [InlineData("""{"text":""}""", 400, "urn:crisis-functions:problem:validation-failed")]
    [InlineData("""{"text":"a","language":"klingon-x"}""", 400, "urn:crisis-functions:problem:validation-failed")]
    [InlineData("""{"text":"a","channel":"pigeon"}""", 400, "urn:crisis-functions:problem:invalid-json")]
    [InlineData("""{"text":["a"]}""", 400, "urn:crisis-functions:problem:invalid-json")]
    [InlineData("{", 400, "urn:crisis-functions:problem:invalid-json")]
    public async Task Bad_messages_are_refused(string body, int status, string type) =>
        await (await _agent.PostAsync($"/api/agent/crises/{_f.CrisisId}/triage", Json(body))).AssertProblemAsync((HttpStatusCode)status, type);

    [Theory]
    [InlineData("""{"rules":[{"tag":"Bad Tag","keywords":{"en":["x"]}}]}""", "rules[0].tag")]
    [InlineData("""{"rules":[{"tag":"a","keywords":{"en":["x"]}},{"tag":"a","keywords":{"en":["y"]}}]}""", "rules[1].tag")]
    [InlineData("""{"rules":[{"tag":"a","keywords":{"de":["x"]}}]}""", "rules[0].keywords.de")]
    [InlineData("""{"rules":[{"tag":"a","keywords":{"en":["!!!"]}}]}""", "rules[0].keywords.en[0]")]
    [InlineData("""{"rules":[{"tag":"a","keywords":{"en":["x\ny"]}}]}""", "rules[0].keywords.en[0]")]
    [InlineData("""{"rules":[{"tag":"a","keywords":{}}]}""", "rules[0].keywords")]
    public async Task Bad_rules_are_refused_and_the_saved_ones_stay(string body, string field)
    {
        var problem = await (await _f.Admin.PutAsync($"/api/admin/crises/{_f.CrisisId}/triage-rules", Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {problem}");
        var current = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/triage-rules")).ReadJsonAsync();
        Assert.Equal(1, current.GetProperty("version").GetInt32());
        Assert.Equal(3, current.GetProperty("rules").GetArrayLength());
    }

    [Fact]
    public async Task Rules_are_versioned_and_guarded_by_if_match_and_only_admins_write_them()
    {
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{_f.CrisisId}/triage-rules") { Content = Json("""{"rules":[]}""") };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"t7\"");
        await (await _f.Admin.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);
        var fresh = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{_f.CrisisId}/triage-rules") { Content = Json("""{"rules":[]}""") };
        fresh.Headers.TryAddWithoutValidation("If-Match", "\"t1\"");
        Assert.Equal(2, (await (await _f.Admin.SendAsync(fresh)).ReadJsonAsync()).GetProperty("version").GetInt32());
        Assert.Equal(HttpStatusCode.Forbidden, (await _agent.PutAsync($"/api/admin/crises/{_f.CrisisId}/triage-rules", Json("""{"rules":[]}"""))).StatusCode);
        await (await _agent.PostAsync("/api/agent/crises/no-such-crisis/triage", Json("""{"text":"x"}"""))).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
    }

    private async Task<JsonElement> ClassifyAsync(object body) =>
        await (await _agent.PostAsJsonAsync($"/api/agent/crises/{_f.CrisisId}/triage", body)).ReadJsonAsync();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
