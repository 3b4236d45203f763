using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The README's packaging command makes a zip with the custom-handler layout the Functions host expects.</summary>
public class PackageTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;

    public async Task InitializeAsync() => _app = await CrisisAppFactory.CreateAsync();

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    [Fact]
    public async Task The_package_holds_the_executable_host_json_and_every_function_folder_at_its_root()
    {
        var folder = Directory.CreateTempSubdirectory("crisis-package-").FullName;
        try
        {
            var zipPath = Path.Combine(folder, "crisis-functions.zip");
            await RunPackagingCommandAsync(zipPath);
            using var zip = ZipFile.OpenRead(zipPath);
            var entries = zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);

            using var host = JsonDocument.Parse(Read(entries["host.json"]));
            var handler = host.RootElement.GetProperty("customHandler");
            Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
            var executable = handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString()!;
            Assert.True(entries.ContainsKey(executable), $"the handler executable {executable} is not at the package root");
            var mode = (entries[executable].ExternalAttributes >> 16) & 0x1FF;
            Assert.True((mode & 0x49) == 0x49, $"the handler executable must keep its executable bits, has {Convert.ToString(mode, 8)}");
            Assert.True(entries.ContainsKey("libcoreclr.so"), "the package must be self-contained: no .NET runtime is assumed on the image");

            var packaged = entries.Keys
                .Where(name => name.EndsWith("/function.json", StringComparison.Ordinal))
                .ToDictionary(name => name[..name.IndexOf('/', StringComparison.Ordinal)], name => JsonDocument.Parse(Read(entries[name])).RootElement.Clone());
            Assert.All(packaged.Keys, name => Assert.Equal($"{name}/function.json", entries.Keys.Single(k => k.StartsWith(name + "/", StringComparison.Ordinal))));
            Assert.Equal(FunctionCatalog.FromFolder(RepositoryPaths.Functions).Keys.Order(), packaged.Keys.Order());
            FunctionCatalog.AssertMatchesApp(packaged, _app.Services);
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
