using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Creating and publishing crises through the admin API, as an admin would.</summary>
public static class CrisisFixtures
{
    /// <summary>Title and summary in each language; the first language is the default.</summary>
    public static JsonObject NewCrisis(params string[] languages)
    {
        var title = new JsonObject();
        var summary = new JsonObject();
        foreach (var language in languages)
        {
            title[language] = Titles.GetValueOrDefault(language, $"Title in {language}");
            summary[language] = $"Summary in {language}";
        }

        return new JsonObject
        {
            ["title"] = title,
            ["summary"] = summary,
            ["severity"] = "major",
            ["defaultLanguage"] = languages[0],
            ["languages"] = new JsonArray([.. languages.Select(l => (JsonNode)l)]),
        };
    }

    public static readonly Dictionary<string, string> Titles = new()
    {
        ["en"] = "Network outage",
        ["cy"] = "Toriad rhwydwaith",
        ["gu"] = "નેટવર્ક બંધ",
        ["id"] = "Gangguan jaringan",
        ["sw"] = "Hitilafu ya mtandao",
        ["fa"] = "قطعی شبکه",
    };

    public static async Task<string> CreateAsync(HttpClient admin, JsonObject crisis)
    {
        var response = await admin.PostAsJsonAsync("/api/admin/crises", crisis);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> PostAsync(HttpClient admin, string path, object? body = null)
    {
        var response = body is null ? await admin.PostAsync(path, null) : await admin.PostAsJsonAsync(path, body);
        return await response.ReadJsonAsync();
    }

    public static async Task SaveAndPublishContentAsync(HttpClient admin, string id, JsonObject content)
    {
        var saved = await admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", content);
        await saved.ReadJsonAsync();
        await PostAsync(admin, $"/api/admin/crises/{id}/content/publish");
    }

    /// <summary>A crisis created, given content and activated: publicly readable.</summary>
    public static async Task<string> CreateActiveAsync(HttpClient admin, JsonObject crisis, JsonObject? content = null)
    {
        var id = await CreateAsync(admin, crisis);
        if (content is not null)
        {
            await SaveAndPublishContentAsync(admin, id, content);
        }

        await PostAsync(admin, $"/api/admin/crises/{id}/activate");
        return id;
    }

    public static JsonObject Localised(params (string Language, string Text)[] texts)
    {
        var result = new JsonObject();
        foreach (var (language, text) in texts)
        {
            result[language] = text;
        }

        return result;
    }

    public static async Task<List<string>> AuditActionsAsync(HttpClient admin, string id)
    {
        var audit = await (await admin.GetAsync($"/api/admin/crises/{id}/audit?pageSize=200")).ReadJsonAsync();
        return [.. audit.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()!)];
    }
}
