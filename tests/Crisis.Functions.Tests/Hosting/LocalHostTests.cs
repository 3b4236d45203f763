using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Host;
using Crisis.Functions.Host.Local;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The local Functions host with the worker as its own process, started from the app's build output as the Azure host starts it.</summary>
public class LocalHostTests
{
    private static async Task<LocalFunctionsHost> StartAsync(string connectionString, IReadOnlyDictionary<string, string?> extra, bool runTimers, ILoggerFactory? logs = null)
    {
        var settings = CrisisAppFactory.BaseSettings(connectionString, TestAzurite.NewPrefix()).ToDictionary(p => p.Key, p => (string?)p.Value);
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = RepositoryPaths.AppOutput,
            HttpPort = 0,
            HttpHost = "127.0.0.1",
            RunTimers = runTimers,
            AppSettings = settings,
            LoggerFactory = logs,
        });
    }

    /// <summary>
    /// The worker process, found by its worker id in the process table. The table is read again for up to 10 s: the
    /// suite starts and stops processes meanwhile, and one may go while it is being read.
    /// </summary>
    private static async Task<int> WorkerProcessIdAsync(LocalFunctionsHost host)
    {
        var workerId = host.WorkerArguments[host.WorkerArguments.ToList().IndexOf("--functions-worker-id") + 1];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            foreach (var folder in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(folder), out var pid) && CommandLineOf(folder).Contains(workerId, StringComparison.Ordinal))
                {
                    return pid;
                }
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("The worker process was not found.");
    }

    private static string CommandLineOf(string processFolder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(processFolder, "cmdline"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    [Fact]
    public async Task The_host_runs_the_worker_process_serves_its_functions_and_restarts_it_when_it_dies()
    {
        await using var host = await StartAsync((await TestAzurite.GetAsync()).ConnectionString, new Dictionary<string, string?>(), runTimers: false);
        using var client = host.CreateClient();
        var exits = new ConcurrentQueue<string>();
        host.WorkerExited += exits.Enqueue;

        var before = await client.GetAsync("/api/health");
        var firstWorker = await WorkerProcessIdAsync(host);
        Process.GetProcessById(firstWorker).Kill();
        for (var i = 0; i < 300 && exits.IsEmpty; i++)
        {
            await Task.Delay(100);
        }

        var after = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("healthy", JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.NotEqual(firstWorker, await WorkerProcessIdAsync(host));
        Assert.Single(exits);
        var unknown = await client.GetAsync("/api/no-such-function");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_list_setting_given_as_one_plain_environment_variable_is_read_by_the_worker_process_comma_separated()
    {
        var extra = new Dictionary<string, string?>
        {
            ["Webhooks:AllowedPrivateHosts"] = null,
            ["Webhooks__AllowedPrivateHosts"] = "10.1.2.3, localhost:4200",
        };
        await using var host = await StartAsync((await TestAzurite.GetAsync()).ConnectionString, extra, runTimers: false);
        using var admin = host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", CrisisAppFactory.AdminKey);
        object Stakeholder(string url) => new { name = "lena", role = "expert", language = "en", timeZone = "UTC", webhookUrl = url };

        var allowed = await admin.PostAsJsonAsync("/api/admin/stakeholders", Stakeholder("http://localhost:4200/hook"));
        var refused = await admin.PostAsJsonAsync("/api/admin/stakeholders", Stakeholder("http://localhost:4300/hook"));

        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest, Crisis.Functions.Hosting.Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("webhookUrl", out _), problem.ToString());
    }

    [Fact]
    public async Task A_malformed_list_setting_in_its_plain_environment_form_stops_the_worker_process_naming_the_setting()
    {
        var extra = new Dictionary<string, string?>
        {
            ["Webhooks:AllowedPrivateHosts"] = null,
            ["Webhooks__AllowedPrivateHosts"] = "10.1.2.3, http://localhost:4200/hook",
        };

        var failure = await Assert.ThrowsAnyAsync<Exception>(async () => await (await StartAsync((await TestAzurite.GetAsync()).ConnectionString, extra, runTimers: false)).DisposeAsync());

        Assert.Contains("Webhooks:AllowedPrivateHosts", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timer_that_throws_is_reported_as_failed_and_runs_again_on_its_next_occurrence()
    {
        var failures = new ConcurrentQueue<string>();
        using var logs = LoggerFactory.Create(b => b.AddProvider(new Recorder(failures)));
        var closed = LoopbackPorts.Free();
        var unreachable = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;";
        await using var host = await StartAsync(unreachable, new Dictionary<string, string?> { ["HEARTBEAT_SCHEDULE"] = "*/1 * * * * *", ["Storage:NetworkTimeout"] = "00:00:01" }, runTimers: true, logs);

        var run = await host.InvokeTimerAsync("Heartbeat");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (failures.Count(f => f.StartsWith("Executed Heartbeat (Failed", StringComparison.Ordinal)) < 2 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.False(run.Succeeded);
        Assert.Contains("Storage", run.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.True(failures.Count(f => f.StartsWith("Executed Heartbeat (Failed", StringComparison.Ordinal)) >= 2, string.Join('\n', failures));
    }

    /// <summary>Keeps what the host logs at warning and above.</summary>
    private sealed class Recorder(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Lines(lines);

        public void Dispose()
        {
        }

        private sealed class Lines(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lines.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
