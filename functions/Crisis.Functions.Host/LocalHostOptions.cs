using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host;

/// <summary>Settings for <see cref="LocalFunctionsHost"/>.</summary>
public sealed record LocalHostOptions
{
    /// <summary>The worker app's output folder: functions.metadata, worker.config.json, host.json.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>Port of the public HTTP endpoint; 0 picks a free loopback port.</summary>
    public int HttpPort { get; init; } = 7071;

    /// <summary>Bind address of the public HTTP endpoint: "localhost", an IP address, or "*" for every address.</summary>
    public string HttpHost { get; init; } = "localhost";

    /// <summary>False when the caller starts the worker itself with <see cref="LocalFunctionsHost.WorkerArguments"/> and <see cref="LocalFunctionsHost.WorkerEnvironment"/>.</summary>
    public bool LaunchWorker { get; init; } = true;

    /// <summary>Fire timer functions on their schedules.</summary>
    public bool RunTimers { get; init; } = true;

    /// <summary>App settings: they resolve %SETTING% in schedules and are passed to a launched worker as environment variables (null removes a variable).</summary>
    public IReadOnlyDictionary<string, string?> AppSettings { get; init; } = new Dictionary<string, string?>();

    /// <summary>How long to wait for the worker to be ready; also how long a request or a timer run waits for a restarting worker.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the worker may take to exit after WorkerTerminate before it is killed.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock the timer schedules run on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where the worker's HTTP endpoint listens, when not where the worker says: the worker picks its port once per
    /// process, so several workers run in one process (tests) each listen on a port of their own that the caller names here.
    /// </summary>
    public Uri? WorkerHttpUri { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }
}
