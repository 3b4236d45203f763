using System.Net.Http.Json;

namespace Crisis.Functions.Tests.Infrastructure;

public static class CannedResponseFixtures
{
    /// <summary>An approval checklist with every item confirmed.</summary>
    public static readonly object AllChecked = new { empathy = true, clarity = true, consistency = true, realism = true, helpfulness = true };

    /// <summary>An English response created, submitted and approved by the admin; returns its id.</summary>
    public static async Task<string> CreateApprovedAsync(HttpClient admin, string crisisId, string name, string[] tags, bool approve = true)
    {
        var path = $"/api/admin/crises/{crisisId}/canned-responses";
        var created = await (await admin.PostAsJsonAsync(path, new { name, snippets = new Dictionary<string, string[]> { ["en"] = [name] }, tags })).ReadJsonAsync();
        var id = created.GetProperty("id").GetString()!;
        if (approve)
        {
            (await admin.PostAsync($"{path}/{id}/submit", null)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync($"{path}/{id}/approve", new { checklist = AllChecked })).EnsureSuccessStatusCode();
        }

        return id;
    }
}
