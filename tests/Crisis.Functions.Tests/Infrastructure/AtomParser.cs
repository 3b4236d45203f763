using System.Diagnostics;
using System.Text.Json;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Parses a feed with the npm "feedparser" package, an independent Atom/RSS parser, and returns what it read.</summary>
public static class AtomParser
{
    public static async Task<JsonElement> ParseAsync(string xml)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tests", "Crisis.Functions.Tests", "Interop", "parse-feed.mjs"));
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(xml);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "feedparser refused the feed: " + await error);
        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}
