using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Pages;

/// <summary>A crisis with everything its public page shows, and helpers to read the HTML pages and post their forms as a browser would.</summary>
public static partial class PublicPageContent
{
    public static JsonObject Content(params string[] languages)
    {
        JsonObject Texts(string english) => new(languages.Select(l => KeyValuePair.Create(l, (JsonNode?)(l == "en" ? english : $"{english} ({l})"))));
        return new JsonObject
        {
            ["statusText"] = Texts("Deliveries in the north are delayed by up to 3 days."),
            ["channels"] = new JsonArray(
                new JsonObject { ["need"] = "emergency", ["channel"] = "phone", ["contact"] = "tel:+442079460000", ["note"] = Texts("Answered by a person, day and night.") },
                new JsonObject { ["need"] = "technical", ["channel"] = "live-chat", ["contact"] = "https://help.example.org/chat" },
                new JsonObject { ["need"] = "general", ["channel"] = "email", ["contact"] = "mailto:help@example.org" }),
            ["keyDates"] = new JsonArray(new JsonObject { ["date"] = "2026-12-24", ["label"] = Texts("Last day for Christmas deliveries") }),
            ["policies"] = new JsonArray(new JsonObject { ["key"] = "refunds", ["title"] = Texts("Refunds"), ["text"] = Texts("Full refunds for any delivery more than 3 days late."), ["changedByCrisis"] = true }),
            ["resources"] = new JsonArray(new JsonObject { ["kind"] = "government-aid", ["url"] = "https://www.gov.example/help", ["title"] = Texts("Government support") }),
            ["faq"] = new JsonArray(
                new JsonObject { ["id"] = "refund", ["category"] = "money", ["order"] = 1, ["question"] = Texts("Can I get a refund?"), ["answer"] = Texts("Yes, within ten days.") },
                new JsonObject { ["id"] = "parcel", ["category"] = "delivery", ["order"] = 2, ["question"] = Texts("Where is my parcel?"), ["answer"] = Texts("Track it on the portal.") }),
        };
    }

    /// <summary>A public crisis in <paramref name="languages"/> (the first is the default) with full content and one published update.</summary>
    public static async Task<string> CreateAsync(HttpClient admin, params string[] languages)
    {
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis(languages), Content(languages));
        var text = new JsonObject(languages.Select(l => KeyValuePair.Create(l, (JsonNode?)(l == "en" ? "Depots reopen on Monday." : $"Depots reopen on Monday ({l})."))));
        var update = await admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new JsonObject { ["text"] = text, ["publish"] = true, ["topic"] = "depots" });
        update.EnsureSuccessStatusCode();
        return id;
    }

    /// <summary>The FormGuard token of the form that posts to <paramref name="action"/> on the page.</summary>
    public static string TokenFor(string html, string action)
    {
        var form = Regex.Match(html, $"<form method=\"post\" action=\"{Regex.Escape(action)}[^\"]*\"[^>]*><input type=\"hidden\" name=\"form\" value=\"([^\"]+)\">");
        Assert.True(form.Success, $"The page has no form posting to {action}.");
        return WebUtility.HtmlDecode(form.Groups[1].Value);
    }

    /// <summary>Posts a form as a browser does from this site's own page.</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, IEnumerable<KeyValuePair<string, string>> fields, string site = "same-origin")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Sec-Fetch-Site", site);
        return client.SendAsync(request);
    }
}
