using System.Net.Http.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Touchpoints;

/// <summary>Website banners for the embed tests: a touchpoint with normal content that an active crisis overrides.</summary>
public static class Banners
{
    public static readonly Dictionary<string, string> Texts = new() { ["en"] = "Flooding: deliveries are late.", ["fa"] = "سیل: تحویل‌ها دیر است." };

    /// <summary>A later text of the same override: a new version, which shows again to a visitor who dismissed the first.</summary>
    public static readonly Dictionary<string, string> Later = new() { ["en"] = "Flooding: deliveries resume tomorrow.", ["fa"] = "سیل: تحویل‌ها از فردا از سر گرفته می‌شود." };

    /// <summary>A new banner touchpoint and a new active crisis (English and Persian) overriding it with <paramref name="texts"/>.</summary>
    public static async Task<(string Crisis, string Touchpoint)> ActiveOverrideAsync(HttpClient admin, IReadOnlyDictionary<string, string> texts)
    {
        var touchpoint = "banner-" + Guid.NewGuid().ToString("N")[..8];
        await (await admin.PutAsJsonAsync($"/api/admin/touchpoints/{touchpoint}", new { kind = "website-banner", name = "Home banner", defaultLanguage = "en", normal = new { en = "Welcome to our shop." } })).ReadJsonAsync();
        var crisis = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en", "fa"));
        await (await admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/{touchpoint}", new { text = texts })).ReadJsonAsync();
        return (crisis, touchpoint);
    }

    /// <summary>The no-script alternative as a site writes it: the frame page of the app at <paramref name="appUrl"/>.</summary>
    public static string Frame(string appUrl, string touchpoint) =>
        $"<iframe src=\"{appUrl}api/touchpoints/{touchpoint}/embed.html\" title=\"Important notice\" style=\"border:0;inline-size:100%;block-size:7em\"></iframe>";
}
