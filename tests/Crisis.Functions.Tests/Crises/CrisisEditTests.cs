using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

/// <summary>PATCH on a crisis is a partial edit: per-language texts merge, a null removes one language.</summary>
public class CrisisEditTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private readonly HttpClient _admin = shared.Admin;

    private async Task<string> ActiveCrisisAsync() =>
        await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en", "cy", "fa", "sw"));

    private async Task<JsonElement> ReadAsync(string id) => await (await _admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync();

    private Task<HttpResponseMessage> PatchAsync(string id, string json) =>
        _admin.PatchAsync($"/api/admin/crises/{id}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Editing_the_title_in_one_language_keeps_the_titles_in_the_others()
    {
        var id = await ActiveCrisisAsync();

        var response = await PatchAsync(id, """{"title":{"en":"Network outage: most areas back"}}""");

        var title = (await response.ReadJsonAsync()).GetProperty("title");
        Assert.Equal("Network outage: most areas back", title.GetProperty("en").GetString());
        Assert.Equal(CrisisFixtures.Titles["cy"], title.GetProperty("cy").GetString());
        Assert.Equal(CrisisFixtures.Titles["fa"], title.GetProperty("fa").GetString());
        Assert.Equal(CrisisFixtures.Titles["sw"], title.GetProperty("sw").GetString());
        var persian = await (await shared.Client.GetAsync($"/api/crises/{id}?lang=fa")).ReadJsonAsync();
        Assert.Equal(CrisisFixtures.Titles["fa"], persian.GetProperty("title").GetString());
        Assert.False(persian.TryGetProperty("titleLang", out _));
    }

    [Fact]
    public async Task A_null_removes_one_language_and_its_page_falls_back_saying_so()
    {
        var id = await ActiveCrisisAsync();

        var response = await PatchAsync(id, """{"summary":{"cy":null}}""");

        var summary = (await response.ReadJsonAsync()).GetProperty("summary");
        Assert.False(summary.TryGetProperty("cy", out _));
        Assert.Equal("Summary in fa", summary.GetProperty("fa").GetString());
        var welsh = await (await shared.Client.GetAsync($"/api/crises/{id}?lang=cy")).ReadJsonAsync();
        Assert.Equal("cy", welsh.GetProperty("language").GetString());
        Assert.Equal(CrisisFixtures.Titles["cy"], welsh.GetProperty("title").GetString());
        Assert.Equal("Summary in en", welsh.GetProperty("summary").GetString());
        Assert.Equal("en", welsh.GetProperty("summaryLang").GetString());
    }

    [Fact]
    public async Task Dropping_a_language_from_the_list_drops_its_texts()
    {
        var id = await ActiveCrisisAsync();

        var edited = await (await PatchAsync(id, """{"languages":["en","cy","fa"]}""")).ReadJsonAsync();

        Assert.False(edited.GetProperty("title").TryGetProperty("sw", out _));
        Assert.False(edited.GetProperty("summary").TryGetProperty("sw", out _));
        Assert.Equal(CrisisFixtures.Titles["cy"], edited.GetProperty("title").GetProperty("cy").GetString());
    }

    [Fact]
    public async Task Removing_the_default_language_text_is_refused_and_changes_nothing()
    {
        var id = await ActiveCrisisAsync();
        var before = await ReadAsync(id);

        var problem = await (await PatchAsync(id, """{"title":{"en":null}}""")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);

        Assert.True(problem.GetProperty("errors").TryGetProperty("title", out var errors), problem.ToString());
        Assert.Contains("default language 'en'", errors[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before.ToString(), (await ReadAsync(id)).ToString());
    }

    [Fact]
    public async Task A_text_for_a_language_the_crisis_lacks_is_refused_naming_it_and_changes_nothing()
    {
        var id = await ActiveCrisisAsync();
        var before = await ReadAsync(id);

        var problem = await (await PatchAsync(id, """{"title":{"gu":"નેટવર્ક"}}""")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);

        Assert.True(problem.GetProperty("errors").TryGetProperty("title.gu", out _), problem.ToString());
        Assert.Equal(before.ToString(), (await ReadAsync(id)).ToString());
    }
}
