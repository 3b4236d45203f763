using System.Text.Json;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Parses a feed with the npm "feedparser" package, an independent Atom/RSS parser, and returns what it read.</summary>
public static class AtomParser
{
    public static async Task<JsonElement> ParseAsync(string xml)
    {
        var result = await NodeScript.RunAsync("parse-feed.mjs", [], xml);
        Assert.True(result.ExitCode == 0, "feedparser refused the feed: " + result.Error);
        return JsonDocument.Parse(result.Output).RootElement.Clone();
    }
}
