using System.Diagnostics;
using System.Net;
using System.Text;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The built handler as its own process, started the way the Functions host starts it.</summary>
public class CustomHandlerProcessTests
{
    [Fact]
    public async Task Under_the_host_it_listens_on_the_given_loopback_port_answers_invocations_and_leaves_timers_to_the_host()
    {
        var port = LoopbackPorts.Free();
        using var process = await StartHandlerAsync(port, Path.GetDirectoryName(AppDll())!, new Dictionary<string, string>
        {
            ["HEARTBEAT_SCHEDULE"] = "* * * * * *",
            ["Hosting__LocalScheduler"] = "true",
            ["Hosting__Urls"] = "http://127.0.0.1:" + LoopbackPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var ready = Stopwatch.StartNew();
            await WaitForReadinessAsync(process, client, TimeSpan.FromSeconds(60));
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(60));

            // Timers belong to the host here: the every-second schedule must not fire by itself.
            await Task.Delay(2500);
            Assert.Null(await LocalSchedulerTests.PollHeartbeatTriggerAsync(client, TimeSpan.FromMilliseconds(100)));

            var invocation = await client.PostAsync("/Heartbeat", new StringContent("""{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, invocation.StatusCode);
            Assert.Equal("FunctionsHost", await LocalSchedulerTests.PollHeartbeatTriggerAsync(client, TimeSpan.FromSeconds(5)));
        }
        finally
        {
            await StopAsync(process);
        }
    }

    [Fact]
    public async Task The_handler_reads_its_own_settings_whatever_the_working_directory()
    {
        var port = LoopbackPorts.Free();
        var elsewhere = Directory.CreateTempSubdirectory("crisis-cwd-").FullName;
        using var process = await StartHandlerAsync(port, elsewhere, new Dictionary<string, string>());
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForReadinessAsync(process, client, TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        }
        finally
        {
            await StopAsync(process);
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    /// <summary>Starts the built handler as the Functions host does: FUNCTIONS_CUSTOMHANDLER_PORT set, storage from app settings.</summary>
    private static async Task<Process> StartHandlerAsync(int port, string workingDirectory, Dictionary<string, string> settings)
    {
        var azurite = await TestAzurite.GetAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(AppDll());
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in CrisisAppFactory.BaseSettings(azurite.ConnectionString, TestAzurite.NewPrefix()).Where(s => s.Key != "Hosting:LocalScheduler"))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    private static async Task WaitForReadinessAsync(Process process, HttpClient client, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            Assert.False(process.HasExited, $"the handler exited with code {(process.HasExited ? process.ExitCode : 0)} before it was ready");
            try
            {
                if ((await client.GetAsync("/")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail($"The handler did not answer the readiness ping within {limit.TotalSeconds} s");
    }

    /// <summary>The app's own build output (not the test folder's copy), in the configuration the tests were built in.</summary>
    private static string AppDll()
    {
        var path = Path.Combine(RepositoryPaths.AppProject, "bin", RepositoryPaths.BuildConfiguration, "net10.0", "Crisis.Functions.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution first");
        return path;
    }
}
