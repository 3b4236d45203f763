using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

public class ContentValidationTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        _admin = _app.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private static JsonObject Faq(string id, string question = "Q?") => new()
    {
        ["id"] = id,
        ["category"] = "general",
        ["order"] = 1,
        ["question"] = CrisisFixtures.Localised(("en", question)),
        ["answer"] = CrisisFixtures.Localised(("en", "A.")),
    };

    public static TheoryData<string, string> InvalidContents() => new()
    {
        { "duplicate faq ids", new JsonObject { ["faq"] = new JsonArray(Faq("a"), Faq("a")) }.ToJsonString() },
        { "faq id with a slash", new JsonObject { ["faq"] = new JsonArray(Faq("a/b")) }.ToJsonString() },
        { "too many faq entries", new JsonObject { ["faq"] = new JsonArray([.. Enumerable.Range(0, 301).Select(i => (JsonNode)Faq("q" + i))]) }.ToJsonString() },
        { "question too long", new JsonObject { ["faq"] = new JsonArray(Faq("a", new string('x', 501))) }.ToJsonString() },
        { "language not offered", new JsonObject { ["statusText"] = CrisisFixtures.Localised(("de", "Hallo")) }.ToJsonString() },
        { "channel contact is script", """{"channels":[{"need":"technical","channel":"live-chat","contact":"javascript:alert(1)"}]}""" },
        { "resource url not http", """{"resources":[{"kind":"self-care","url":"ftp://x.org","title":{"en":"t"}}]}""" },
        { "policy key with spaces", """{"policies":[{"key":"Refund Policy","title":{"en":"t"},"text":{"en":"t"},"changedByCrisis":true}]}""" },
    };

    [Theory]
    [MemberData(nameof(InvalidContents))]
    public async Task Invalid_content_is_refused_and_the_draft_stays_as_it_was(string why, string content)
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var saved = await (await _admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", new JsonObject { ["faq"] = new JsonArray(Faq("kept")) })).ReadJsonAsync();
        Assert.Equal(1, saved.GetProperty("version").GetInt32());

        var response = await _admin.PutAsync($"/api/admin/crises/{id}/content", new StringContent(content, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        var draft = await (await _admin.GetAsync($"/api/admin/crises/{id}/content")).ReadJsonAsync();
        Assert.Equal(1, draft.GetProperty("version").GetInt32());
        Assert.Equal("kept", draft.GetProperty("content").GetProperty("faq")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Every_save_is_a_new_version_and_a_stale_if_match_is_refused()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var first = await _admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", new JsonObject { ["faq"] = new JsonArray(Faq("one")) });
        Assert.Equal("\"d1\"", first.Headers.ETag!.ToString());

        var second = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{id}/content") { Content = JsonContent.Create(new JsonObject { ["faq"] = new JsonArray(Faq("two")) }) };
        second.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"d1\""));
        Assert.Equal("\"d2\"", (await _admin.SendAsync(second)).Headers.ETag!.ToString());

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{id}/content") { Content = JsonContent.Create(new JsonObject { ["faq"] = new JsonArray(Faq("three")) }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"d1\""));
        await (await _admin.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);

        var draft = await (await _admin.GetAsync($"/api/admin/crises/{id}/content")).ReadJsonAsync();
        Assert.Equal("two", draft.GetProperty("content").GetProperty("faq")[0].GetProperty("id").GetString());
        Assert.Equal(["content.edit", "content.edit", "crisis.create"], await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Fact]
    public async Task Publishing_without_a_draft_is_not_found_and_a_malformed_if_match_is_refused()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        await (await _admin.PostAsync($"/api/admin/crises/{id}/content/publish", null)).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);

        var malformed = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{id}/content") { Content = JsonContent.Create(new { }) };
        malformed.Headers.TryAddWithoutValidation("If-Match", "\"v1\"");
        await (await _admin.SendAsync(malformed)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.PreconditionFailed);
    }

    [Fact]
    public async Task Updates_need_text_in_the_default_language()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en", "fa"));
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { fa = "فقط فارسی" } })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { en = new string('x', 2501) } })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        await (await _admin.PostAsync($"/api/admin/crises/{id}/updates/0123/publish", null)).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        Assert.Empty((await (await _admin.GetAsync($"/api/admin/crises/{id}/updates")).ReadJsonAsync()).GetProperty("updates").EnumerateArray());
    }
}
