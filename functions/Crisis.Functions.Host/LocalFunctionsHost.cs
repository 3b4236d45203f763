using Crisis.Functions.Host.Catalog;
using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Http;
using Crisis.Functions.Host.Rpc;
using Crisis.Functions.Host.Timers;
using Crisis.Functions.Host.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crisis.Functions.Host;

/// <summary>
/// A development host for a .NET isolated worker: it speaks the Functions host↔worker gRPC protocol, serves the
/// HTTP functions and fires the timer functions. It does not enforce function keys.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private const string MaxMessageLength = "2147483647";

    private readonly LocalHostOptions options;
    private readonly FunctionCatalog catalog;
    private readonly ReadinessGate gate;
    private readonly WorkerSupervisor supervisor;
    private readonly TimerScheduler timers;
    private readonly ILogger logger;
    private readonly string workerId = Guid.NewGuid().ToString();
    private readonly string requestId = Guid.NewGuid().ToString();
    private RpcServer? rpcServer;
    private HttpFrontEnd? frontEnd;
    private IReadOnlyList<HostedFunction> functions = [];
    private int disposed;

    private LocalFunctionsHost(LocalHostOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<LocalFunctionsHost>();

        var appDirectory = options.AppDirectory;
        var settings = new AppSettingResolver(options.AppSettings, AppDefaults.Load(appDirectory));
        catalog = new FunctionCatalog(HostJson.Load(appDirectory).RoutePrefix, settings, requireSchedules: options.RunTimers);
        gate = new ReadinessGate();
        timers = new TimerScheduler(gate, options.StartupTimeout, options.Time, settings, loggerFactory.CreateLogger("Crisis.Functions.Host.Timers"));
        supervisor = new WorkerSupervisor(
            gate,
            new WorkerHandshake(appDirectory, catalog, options.WorkerHttpUri, loggerFactory.CreateLogger<WorkerHandshake>()),
            options,
            loggerFactory,
            OnWorkerReady,
            message => WorkerExited?.Invoke(message));
    }

    /// <summary>Raised when a launched worker process exits unexpectedly, with a description of the exit.</summary>
    public event Action<string>? WorkerExited;

    /// <summary>The public HTTP endpoint, e.g. http://localhost:7071/.</summary>
    public Uri BaseAddress => frontEnd?.BaseAddress ?? throw new InvalidOperationException("The host is not started.");

    /// <summary>The command line a worker needs to connect to this host.</summary>
    public IReadOnlyList<string> WorkerArguments { get; private set; } = [];

    /// <summary>
    /// The environment a worker needs: the app and worker directories, the runtime, the connection settings of
    /// <see cref="WorkerArguments"/> as configuration keys, and the app settings when the host launches the worker.
    /// </summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// Completes when the host is disposed; faults with the reason when it gives up on a launched worker that kept
    /// exiting (the HTTP endpoint then answers 503).
    /// </summary>
    public Task Completion => supervisor.Completion;

    /// <summary>The functions of the current (or last) ready worker.</summary>
    public IReadOnlyList<HostedFunction> Functions => Volatile.Read(ref functions);

    /// <summary>
    /// Starts the gRPC and HTTP servers; with <see cref="LocalHostOptions.LaunchWorker"/> also starts the worker
    /// and waits until its functions are loaded.
    /// </summary>
    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        if (!Directory.Exists(appDirectory))
        {
            throw new LocalHostException($"The app directory {appDirectory} does not exist.");
        }

        var resolved = options with { AppDirectory = appDirectory };
        var host = new LocalFunctionsHost(resolved, options.LoggerFactory ?? NullLoggerFactory.Instance);
        try
        {
            await host.StartCoreAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until a worker has connected, indexed its functions and loaded every one of them.</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) => gate.WaitAsync(cancellationToken);

    /// <summary>A client for the public HTTP endpoint.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Runs a timer function now, exactly as a scheduled run, and waits for the worker's result.</summary>
    public async Task<TimerRun> InvokeTimerAsync(string functionName, bool isPastDue = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionName);
        await gate.WaitAsync(options.StartupTimeout, cancellationToken);
        return await timers.RunNowAsync(functionName, isPastDue, cancellationToken);
    }

    /// <summary>Terminates the worker (killing it after the grace period), then stops the servers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await timers.DisposeAsync();
        await supervisor.DisposeAsync();
        if (frontEnd is not null)
        {
            await frontEnd.DisposeAsync();
        }

        if (rpcServer is not null)
        {
            await rpcServer.DisposeAsync();
        }

        logger.LogInformation("Local Functions host stopped");
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var rpcService = new FunctionRpcService(
            workerId, supervisor.Attach, new WorkerLogRelay(loggerFactory), loggerFactory.CreateLogger<FunctionRpcService>());
        rpcServer = await RpcServer.StartAsync(rpcService, loggerFactory, cancellationToken);
        WorkerArguments =
        [
            "--functions-uri", rpcServer.Address.ToString(),
            "--functions-worker-id", workerId,
            "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", MaxMessageLength,
        ];
        WorkerEnvironment = BuildWorkerEnvironment();

        frontEnd = await HttpFrontEnd.StartAsync(options.HttpHost, options.HttpPort, gate, options.StartupTimeout, loggerFactory, cancellationToken);
        ServeBuildTimeIndex();
        logger.LogInformation("Listening on {BaseAddress}; worker gRPC endpoint {RpcAddress}", frontEnd.BaseAddress, rpcServer.Address);

        if (!options.LaunchWorker)
        {
            return;
        }

        var command = WorkerCommand.Load(options.AppDirectory, WorkerArguments);
        var environment = new Dictionary<string, string?>(options.AppSettings, StringComparer.Ordinal);
        foreach (var (name, value) in WorkerEnvironment)
        {
            environment[name] = value;
        }

        supervisor.Launch(command, environment);
        await gate.WaitAsync(options.StartupTimeout, cancellationToken);
    }

    // Until a worker is ready, routes come from the index the Worker SDK wrote at build time, so early requests
    // wait for the worker instead of finding no route.
    private void ServeBuildTimeIndex()
    {
        if (!File.Exists(Path.Combine(options.AppDirectory, FunctionsMetadataFile.FileName)))
        {
            return;
        }

        try
        {
            frontEnd!.Serve(catalog.Build(FunctionsMetadataFile.Read(options.AppDirectory)).Select(registration => registration.Function));
        }
        catch (LocalHostException ex)
        {
            logger.LogDebug(ex, "Routes wait for the worker's own index: {Reason}", ex.Message);
        }
    }

    private Dictionary<string, string> BuildWorkerEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.LaunchWorker)
        {
            foreach (var (name, value) in options.AppSettings)
            {
                if (value is not null)
                {
                    environment[name] = value;
                }
            }
        }

        environment["FUNCTIONS_APPLICATION_DIRECTORY"] = options.AppDirectory;
        environment["FUNCTIONS_WORKER_DIRECTORY"] = options.AppDirectory;
        environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";

        // The worker reads the process's own command line, not the args given to its Main: a worker started
        // inside another process (a test) finds the same settings here, as configuration from the environment.
        environment["Functions__Worker__HostEndpoint"] = rpcServer!.Address.ToString();
        environment["Functions__Worker__WorkerId"] = workerId;
        environment["Functions__Worker__RequestId"] = requestId;
        environment["Functions__Worker__GrpcMaxMessageLength"] = MaxMessageLength;
        return environment;
    }

    private void OnWorkerReady(WorkerSession session)
    {
        Volatile.Write(ref functions, session.Functions);
        frontEnd?.Serve(session.Functions);
        timers.Register(session.Functions, options.RunTimers);
    }
}
