using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The README's packaging command makes the zip Azure deploys: the published worker, its function metadata and host.json at the root.</summary>
public class PackageTests
{
    [Fact]
    public async Task The_package_holds_the_worker_its_generated_metadata_worker_config_extensions_and_host_json_at_its_root()
    {
        var folder = Directory.CreateTempSubdirectory("crisis-package-").FullName;
        try
        {
            var zipPath = Path.Combine(folder, "crisis-functions.zip");
            await RunPackagingCommandAsync(zipPath);
            using var zip = ZipFile.OpenRead(zipPath);
            var entries = zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);

            foreach (var required in new[] { "Crisis.Functions.dll", "functions.metadata", "worker.config.json", "host.json", "appsettings.json", "extensions.json" })
            {
                Assert.True(entries.ContainsKey(required), $"{required} is not at the package root");
            }

            Assert.Contains(entries.Keys, name => name.StartsWith(".azurefunctions/", StringComparison.Ordinal));
            using var worker = JsonDocument.Parse(Read(entries["worker.config.json"]));
            Assert.Equal("Crisis.Functions.dll", worker.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString());
            using var host = JsonDocument.Parse(Read(entries["host.json"]));
            Assert.False(host.RootElement.TryGetProperty("customHandler", out _), "an isolated-worker app has no custom handler");
            using var metadata = JsonDocument.Parse(Read(entries["functions.metadata"]));
            Assert.Equal(
                Crisis.Functions.Hosting.FunctionCatalog.Http.Keys.Concat(Crisis.Functions.Hosting.FunctionCatalog.Timers.Keys).Order(StringComparer.Ordinal),
                metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(entries.Keys, name => name.EndsWith("function.json", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task RunPackagingCommandAsync(string zipPath)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "functions", "package"));
        start.ArgumentList.Add(zipPath);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await output + await errors);
    }

    private static string Read(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
