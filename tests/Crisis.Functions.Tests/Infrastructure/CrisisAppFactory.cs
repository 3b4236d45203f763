using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Crisis.Functions.Host;
using Crisis.Functions.Host.Local;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Crisis.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// The app as it runs in Azure, on real Azurite storage under its own name prefix: the local Functions host, serving
/// HTTP on a free loopback port and invoking timers as the Azure host does, drives the real isolated worker. The
/// worker runs in this process (connected to the host over loopback gRPC) so a test can replace its services, such
/// as the <see cref="TimeProvider"/>. The host's own schedules are off unless asked for: tests fire timers with <see cref="RunTimerAsync"/>.
/// Starts on first use; extra settings override appsettings.json.
/// </summary>
public sealed class CrisisAppFactory(
    string connectionString,
    IReadOnlyDictionary<string, string?>? settings = null,
    TimeProvider? time = null,
    Action<IServiceCollection>? configureServices = null,
    bool runTimers = false) : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<Uri, CrisisAppFactory> Running = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly ILoggerFactory _logs = LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning));
    private LocalFunctionsHost? _host;
    private IHost? _worker;

    static CrisisAppFactory()
    {
        // The worker finds its assembly and host.json here; every in-process worker shares this folder.
        Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", AppContext.BaseDirectory);
        Environment.SetEnvironmentVariable("FUNCTIONS_WORKER_DIRECTORY", AppContext.BaseDirectory);
        Environment.SetEnvironmentVariable("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated");
    }

    public string NamePrefix { get; } = TestAzurite.NewPrefix();

    public static async Task<CrisisAppFactory> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        new((await TestAzurite.GetAsync()).ConnectionString, settings, time);

    public const string AdminKey = "test-admin-key-7f3c2a";
    public const string AgentKey = "test-agent-key-91b4de";
    public const string AdminName = "test-admin";

    /// <summary>Test secrets: fixed, so tests can verify signatures and forge tokens with other keys.</summary>
    public const string TokenSecret = "dGVzdC10b2tlbi1zaWduaW5nLWtleS0zMi1ieXRlcyE=";
    public const string WebhookSecret = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmctc2VjcmV0LTMyYnl0ZXM=";
    public const string ContactHashKey = "dGVzdC1jb250YWN0LWhhc2gta2V5LTMyLWJ5dGVzLWxvbmch";

    /// <summary>Settings every app under test gets, on top of appsettings.json.</summary>
    public static IReadOnlyDictionary<string, string> BaseSettings(string connectionString, string namePrefix) => new Dictionary<string, string>
    {
        ["Storage:ConnectionString"] = connectionString,
        ["Storage:NamePrefix"] = namePrefix,
        ["Access:ApiKeys:0:Name"] = AdminName,
        ["Access:ApiKeys:0:Role"] = "admin",
        ["Access:ApiKeys:0:Sha256"] = Access.ApiKeyAuthenticationHandler.Hash(AdminKey),
        ["Access:ApiKeys:1:Name"] = "test-agent",
        ["Access:ApiKeys:1:Role"] = "agent",
        ["Access:ApiKeys:1:Sha256"] = Access.ApiKeyAuthenticationHandler.Hash(AgentKey),
        ["Tokens:SigningKeys:0:Id"] = "test",
        ["Tokens:SigningKeys:0:Secret"] = TokenSecret,
        ["Webhooks:SigningSecret"] = WebhookSecret,

        // The plain form an environment variable gives (Webhooks__AllowedPrivateHosts), so every webhook test reads it.
        ["Webhooks:AllowedPrivateHosts"] = "127.0.0.1",

        // Test subscribers are webhook receivers on loopback; production leaves this off.
        ["Webhooks:AllowPrivateHostsForSubscribers"] = "true",
        ["Subscriptions:ContactHashKey"] = ContactHashKey,
    };

    /// <summary>The worker's services (its root provider), started on first use.</summary>
    public IServiceProvider Services => Started().Worker.Services;

    /// <summary>The local Functions host in front of the worker.</summary>
    public LocalFunctionsHost Host => Started().Host;

    public HttpClient CreateClient()
    {
        var client = Started().Host.CreateClient();
        Running[client.BaseAddress!] = this;
        return client;
    }

    public HttpClient CreateAdminClient() => CreateClientWithKey(AdminKey);

    public HttpClient CreateAgentClient() => CreateClientWithKey(AgentKey);

    public HttpClient CreateClientWithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Runs timer function <paramref name="name"/> now, exactly as on a schedule (the host's InvocationRequest with its TimerInfo).</summary>
    public Task<TimerRun> RunTimerAsync(string name, bool pastDue = false, CancellationToken cancellationToken = default) =>
        Started().Host.InvokeTimerAsync(name, pastDue, cancellationToken);

    /// <summary>The app a client made by <see cref="CreateClient"/> talks to.</summary>
    public static CrisisAppFactory Of(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Running.TryGetValue(client.BaseAddress!, out var app) ? app : throw new InvalidOperationException("This client was not made by a CrisisAppFactory.");
    }

    public async ValueTask DisposeAsync()
    {
        // The host asks the worker to terminate and waits for its endpoint to close; stopping the in-process worker
        // at the same time is what a worker process does on WorkerTerminate.
        var stopping = _worker?.StopAsync(TimeSpan.FromSeconds(5)) ?? Task.CompletedTask;
        if (_host is not null)
        {
            Running.TryRemove(_host.BaseAddress, out _);
            await _host.DisposeAsync();
        }

        await stopping;
        _worker?.Dispose();
        _starting.Dispose();
        _logs.Dispose();
    }

    private (LocalFunctionsHost Host, IHost Worker) Started()
    {
        if (_host is null || _worker is null)
        {
            StartAsync().GetAwaiter().GetResult();
        }

        return (_host!, _worker!);
    }

    private async Task StartAsync()
    {
        await _starting.WaitAsync();
        try
        {
            if (_host is not null)
            {
                return;
            }

            // A free port can be taken by someone else before the worker binds it: then try another.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    (_host, _worker) = await StartOnceAsync(LoopbackPorts.Free());
                    return;
                }
                catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 5)
                {
                    // Taken meanwhile: the next attempt picks another port.
                }
            }
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task<(LocalFunctionsHost Host, IHost Worker)> StartOnceAsync(int workerPort)
    {
        var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppSettings = AppSettings(),
            AppDirectory = AppContext.BaseDirectory,
            HttpPort = 0,
            HttpHost = "127.0.0.1",
            LaunchWorker = false,
            RunTimers = runTimers,
            WorkerHttpUri = new Uri($"http://127.0.0.1:{workerPort}/"),
            LoggerFactory = _logs,
        });

        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(WorkerSettings(host));
        builder.AddCrisisFunctions();
        builder.Services.Configure<KestrelServerOptions>(k => k.Listen(IPAddress.Loopback, workerPort));
        if (time is not null)
        {
            builder.Services.RemoveAll<TimeProvider>();
            builder.Services.AddSingleton(time);
        }

        configureServices?.Invoke(builder.Services);
        var worker = builder.Build();
        try
        {
            await worker.StartAsync();
            await host.WaitUntilReadyAsync();
            return (host, worker);
        }
        catch
        {
            await host.DisposeAsync();
            worker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The test's app settings, on top of appsettings.json (which the worker reads itself, and the host for the
    /// defaults of the timers' %SCHEDULE% settings).
    /// </summary>
    private Dictionary<string, string?> AppSettings()
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in BaseSettings(connectionString, NamePrefix))
        {
            all[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }

    private Dictionary<string, string?> WorkerSettings(LocalFunctionsHost host)
    {
        var all = AppSettings();

        // How to reach the host (HostEndpoint, WorkerId, RequestId, GrpcMaxMessageLength), as the host hands it to a worker.
        foreach (var (name, value) in host.WorkerEnvironment.Where(e => e.Key.StartsWith("Functions__Worker__", StringComparison.Ordinal)))
        {
            all[name.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return all;
    }
}
