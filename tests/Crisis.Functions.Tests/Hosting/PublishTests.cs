using System.Diagnostics;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

public class PublishTests
{
    [Fact]
    public async Task Publish_output_is_a_custom_handler_package_with_host_json_and_every_function_folder_at_its_root()
    {
        var output = Path.Combine(Path.GetTempPath(), "crisis-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            // --no-build: package what the tests were built from, without rebuilding under a running test.
            foreach (var argument in new[] { "publish", RepositoryPaths.AppProject, "-c", RepositoryPaths.BuildConfiguration, "--no-build", "-o", output, "--nologo" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, await log + await errors);

            using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "host.json")));
            var handler = host.RootElement.GetProperty("customHandler");
            Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
            var executable = handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString()!;
            Assert.True(File.Exists(Path.Combine(output, executable)), $"the handler executable {executable} is not at the package root");

            var sourceFunctions = Directory.GetDirectories(RepositoryPaths.Functions)
                .Where(d => File.Exists(Path.Combine(d, "function.json")))
                .Select(Path.GetFileName)
                .ToList();
            Assert.NotEmpty(sourceFunctions);
            foreach (var function in sourceFunctions)
            {
                var published = Path.Combine(output, function!, "function.json");
                Assert.True(File.Exists(published), $"{function}/function.json is missing from the package root");
                Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Functions, function!, "function.json")), File.ReadAllText(published));
            }

            Assert.False(Directory.Exists(Path.Combine(output, "Crisis.Functions")), "the project folder must not be published as a function folder");
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
