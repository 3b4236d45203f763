using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Crises;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

/// <summary>What the validators accept, storage holds: every field at its limit, in every language, in the costliest characters to store.</summary>
public class StorageLimitTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private static readonly string[] TenLanguages = ["en", "cy", "gu", "id", "sw", "fa", "fr", "de", "es", "ar"];

    /// <summary>Quotes and backslashes grow when JSON-escaped; a Persian letter and an emoji show the text stays itself.</summary>
    private static string Costly(int length) => string.Concat(Enumerable.Repeat("\"\\ب😀", length / 5))[..(length - length % 5)].PadRight(length, '"');

    [Fact]
    public async Task A_crisis_with_ten_languages_of_quote_heavy_text_at_every_limit_is_stored_and_read_back_exactly()
    {
        var crisis = CrisisFixtures.NewCrisis(TenLanguages);
        foreach (var language in TenLanguages)
        {
            crisis["title"]![language] = Costly(CrisisValidation.MaxTitle);
            crisis["summary"]![language] = Costly(CrisisValidation.MaxSummary);
        }

        var id = await CrisisFixtures.CreateAsync(shared.Admin, crisis);
        var text = new JsonObject();
        foreach (var language in TenLanguages)
        {
            text[language] = Costly(CrisisValidation.MaxUpdateText);
        }

        var posted = await shared.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new JsonObject { ["text"] = text });
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var updateId = (await posted.ReadJsonAsync()).GetProperty("id").GetString();

        var stored = await (await shared.Admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync();
        Assert.All(TenLanguages, l => Assert.Equal(crisis["summary"]![l]!.GetValue<string>(), stored.GetProperty("summary").GetProperty(l).GetString()));
        var updates = await (await shared.Admin.GetAsync($"/api/admin/crises/{id}/updates")).ReadJsonAsync();
        var update = updates.GetProperty("updates").EnumerateArray().Single(u => u.GetProperty("id").GetString() == updateId);
        Assert.All(TenLanguages, l => Assert.Equal(text[l]!.GetValue<string>(), update.GetProperty("text").GetProperty(l).GetString()));
    }
}
