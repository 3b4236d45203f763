using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

/// <summary>No update can freeze a crisis' page and feed; a wrong one can be withdrawn.</summary>
public class UpdateSafetyTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private readonly HttpClient _admin = shared.Admin;
    private readonly HttpClient _public = shared.Client;

    private Task<HttpResponseMessage> PostUpdateAsync(string id, string json) =>
        _admin.PostAsync($"/api/admin/crises/{id}/updates", new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<XDocument> FeedAsync(string id) =>
        XDocument.Parse(await (await _public.GetAsync($"/api/crises/{id}/feed.atom")).Content.ReadAsStringAsync());

    [Theory]
    [InlineData("noncharacter", "Roads closed \\uffff until noon")]
    [InlineData("noncharacter-astral", "Roads closed \\ud83f\\udffe until noon")]
    [InlineData("lone-high-surrogate", "Roads closed \\ud83d until noon")]
    [InlineData("lone-low-surrogate", "Roads closed \\udc4d until noon")]
    [InlineData("override", "Roads closed \\u202e until noon")]
    [InlineData("unclosed-isolate", "Roads closed \\u2067 until noon")]
    public async Task An_update_with_text_that_cannot_be_rendered_is_refused_and_changes_nothing(string name, string text)
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));

        var response = await PostUpdateAsync(id, $$"""{"text":{"en":"{{text}}"},"publish":true}""");

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var updates = await (await _admin.GetAsync($"/api/admin/crises/{id}/updates")).ReadJsonAsync();
        Assert.Empty(updates.GetProperty("updates").EnumerateArray());
        Assert.Equal("ended", (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/end")).GetProperty("status").GetString());
        Assert.Equal("ended", (await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_refused_noncharacter_names_the_field_and_the_code_point()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));

        var problem = await (await PostUpdateAsync(id, """{"text":{"en":"Closed \uffff"}}""")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);

        Assert.Contains("U+FFFF", problem.GetProperty("errors").GetProperty("text.en")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_emoji_where_the_headline_is_cut_stays_whole_and_the_crisis_keeps_publishing()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var text = new string('a', 98) + "👍🏽 and the rest of the sentence";

        (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { en = text }, publish = true })).EnsureSuccessStatusCode();

        var title = (await FeedAsync(id)).Root!.Element(Atom + "entry")!.Element(Atom + "title")!.Value;
        Assert.Equal(new string('a', 98) + "…", title);
        Assert.Equal("ended", (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/end")).GetProperty("status").GetString());
        var page = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal("ended", page.GetProperty("status").GetString());
        Assert.Equal(text, page.GetProperty("updates")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_published_update_can_be_retracted_off_the_page_and_feed_with_an_audited_reason()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var kept = await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Depots reopen on Monday." }, publish = true });
        var wrong = await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Depots reopen on Sunday." }, publish = true });
        var wrongId = wrong.GetProperty("id").GetString();

        var retracted = await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{wrongId}/retract", new { reason = "Wrong day" })).ReadJsonAsync();

        Assert.NotEqual(JsonValueKind.Null, retracted.GetProperty("retractedAt").ValueKind);
        Assert.Equal("Wrong day", retracted.GetProperty("retractionReason").GetString());
        var page = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal([kept.GetProperty("id").GetString()], page.GetProperty("updates").EnumerateArray().Select(u => u.GetProperty("id").GetString()));
        Assert.Single((await FeedAsync(id)).Root!.Elements(Atom + "entry"));
        Assert.Contains("update.retract", await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Fact]
    public async Task Retracting_twice_a_draft_or_without_a_reason_is_refused_and_changes_nothing()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var published = (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Out in the north." }, publish = true })).GetProperty("id").GetString();
        var draft = (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Draft" } })).GetProperty("id").GetString();

        var noReason = await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{published}/retract", new { reason = " " })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(noReason.GetProperty("errors").TryGetProperty("reason", out _));
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{draft}/retract", new { reason = "x" })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/nope/retract", new { reason = "x" })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        Assert.Single((await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync()).GetProperty("updates").EnumerateArray());

        (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{published}/retract", new { reason = "Superseded" })).EnsureSuccessStatusCode();
        await (await _admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates/{published}/retract", new { reason = "Again" })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        Assert.Single(await CrisisFixtures.AuditActionsAsync(_admin, id), a => a == "update.retract");
    }
}
