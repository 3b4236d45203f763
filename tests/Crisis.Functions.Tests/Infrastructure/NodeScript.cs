using System.Diagnostics;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>What a Node script of tests/.../Interop printed, and how it exited.</summary>
public sealed record NodeResult(int ExitCode, string Output, string Error);

/// <summary>Runs the Interop scripts (official Azure SDKs, feedparser, standardwebhooks) from the repository's node_modules.</summary>
public static class NodeScript
{
    public static async Task<NodeResult> RunAsync(string script, IEnumerable<string> arguments, string? input = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tests", "Crisis.Functions.Tests", "Interop", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new NodeResult(process.ExitCode, await output, await error);
    }
}
