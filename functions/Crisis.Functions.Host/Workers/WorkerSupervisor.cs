using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Protocol;
using Crisis.Functions.Host.Rpc;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Workers;

/// <summary>
/// Owns the worker's lifecycle: launches the process (when the host launches it), brings each connection to
/// readiness, restarts a worker that dies after it was ready, and terminates it on shutdown.
/// </summary>
internal sealed class WorkerSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    private readonly ReadinessGate gate;
    private readonly WorkerHandshake handshake;
    private readonly TimeSpan startupTimeout;
    private readonly TimeSpan gracePeriod;
    private readonly RestartBudget restartBudget = new(maxRestarts: 5, window: TimeSpan.FromMinutes(1), TimeProvider.System);
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly Action<WorkerSession> onReady;
    private readonly Action<string> onExited;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock sync = new();

    private WorkerCommand? command;
    private IReadOnlyDictionary<string, string?> environment = new Dictionary<string, string?>();
    private WorkerProcess? process;
    private WorkerChannel? channel;
    private bool everReady;

    public WorkerSupervisor(
        ReadinessGate gate,
        WorkerHandshake handshake,
        LocalHostOptions options,
        ILoggerFactory loggerFactory,
        Action<WorkerSession> onReady,
        Action<string> onExited)
    {
        this.gate = gate;
        this.handshake = handshake;
        startupTimeout = options.StartupTimeout;
        gracePeriod = options.ShutdownGracePeriod;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<WorkerSupervisor>();
        this.onReady = onReady;
        this.onExited = onExited;
    }

    /// <summary>Completes when the supervisor stops; faulted when it gave up on a worker that kept exiting.</summary>
    public Task Completion => completion.Task;

    private bool IsStopping => stopping.IsCancellationRequested;

    /// <summary>Starts the worker process; from now on it is restarted when it exits unexpectedly.</summary>
    public void Launch(WorkerCommand workerCommand, IReadOnlyDictionary<string, string?> workerEnvironment)
    {
        command = workerCommand;
        environment = workerEnvironment;
        StartProcess();
    }

    /// <summary>Takes over a worker that has just opened its stream, superseding any previous one.</summary>
    public void Attach(WorkerChannel connected)
    {
        WorkerChannel? previous;
        WorkerProcess? owner;
        lock (sync)
        {
            if (IsStopping)
            {
                connected.Close();
                return;
            }

            previous = channel;
            channel = connected;
            owner = process;
        }

        if (previous is { IsOpen: true })
        {
            logger.LogWarning("A new worker connection replaces the previous one");
            previous.Close();
        }

        gate.Close();
        _ = BringUpAsync(connected, owner);
    }

    public async Task StopAsync()
    {
        WorkerChannel? current;
        WorkerProcess? launched;
        lock (sync)
        {
            if (IsStopping)
            {
                return;
            }

            stopping.Cancel();
            current = channel;
            launched = process;
        }

        if (current is { IsOpen: true })
        {
            logger.LogInformation("Asking worker {WorkerId} to terminate", current.WorkerId);
            current.Post(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(gracePeriod) } });
        }

        if (launched is not null)
        {
            if (current is not { IsOpen: true })
            {
                // Not connected yet (or any more): nothing can ask it to stop.
                launched.Kill();
            }

            await launched.StopAsync(gracePeriod);
            logger.LogInformation("Worker process {ProcessId} exited", launched.Id);
        }
        else if (current is not null)
        {
            await WaitForWorkerStopAsync(current, gate.Current?.HttpUri);
        }

        current?.Close();
        gate.Fail(new LocalHostException("The local Functions host has stopped."));
        completion.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process?.Dispose();
        stopping.Dispose();
    }

    private void StartProcess()
    {
        var workerCommand = command ?? throw new InvalidOperationException("No worker command to launch.");
        gate.Advance(StartupStage.WorkerStart);
        var started = WorkerProcess.Start(workerCommand, environment, loggerFactory);
        WorkerProcess? previous;
        lock (sync)
        {
            previous = process;
            process = started;
        }

        previous?.Dispose();
        logger.LogInformation(
            "Started worker process {ProcessId}: {FileName} {Arguments}",
            started.Id,
            workerCommand.FileName,
            string.Join(' ', workerCommand.Arguments));
        _ = MonitorAsync(started);
    }

    private async Task BringUpAsync(WorkerChannel connected, WorkerProcess? owner)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        timeout.CancelAfter(startupTimeout);
        try
        {
            var session = await handshake.RunAsync(connected, stage => AdvanceIfCurrent(connected, stage), timeout.Token);
            if (!IsCurrent(connected))
            {
                return;
            }

            // Subscribers see the session before anyone waiting on the gate can use it.
            onReady(session);
            everReady = true;
            gate.Open(session);
            _ = WatchAsync(connected, owner);
        }
        catch (OperationCanceledException) when (IsStopping)
        {
            connected.Close();
        }
        catch (Exception ex) when (!IsCurrent(connected))
        {
            logger.LogDebug(ex, "A superseded worker connection failed to come up");
        }
        catch (WorkerConnectionLostException) when (owner is not null)
        {
            // The process is dying or already dead: its exit is reported with the exit code and its last output.
            owner.Kill();
        }
        catch (Exception ex)
        {
            var error = ex switch
            {
                OperationCanceledException => new LocalHostException(
                    $"The worker was not ready within {startupTimeout.TotalSeconds:0.#} s: timed out at stage {gate.Stage.Describe()}.", ex),
                LocalHostException known => known,
                _ => new LocalHostException($"The worker failed at stage {gate.Stage.Describe()}: {ex.Message}", ex),
            };
            logger.LogError(error.InnerException as WorkerReportedException, "Worker {WorkerId} could not be brought up: {Reason}", connected.WorkerId, error.Message);
            if (!everReady || owner is null)
            {
                gate.Fail(error);
            }

            connected.Close();
            owner?.Kill();
        }
    }

    private async Task WatchAsync(WorkerChannel connected, WorkerProcess? owner)
    {
        await connected.Completion;
        if (IsStopping || !IsCurrent(connected))
        {
            return;
        }

        logger.LogWarning("Worker {WorkerId} disconnected", connected.WorkerId);
        gate.Close();
        owner?.Kill();
    }

    private async Task MonitorAsync(WorkerProcess launched)
    {
        var exitCode = await launched.Exited;
        if (IsStopping)
        {
            return;
        }

        onExited($"Worker process {launched.Id} exited with code {exitCode}.");
        if (!everReady)
        {
            var output = launched.RecentOutput();
            gate.Fail(new LocalHostException(
                $"The worker process exited with code {exitCode} before it was ready (stage {gate.Stage.Describe()})."
                + (output.Length == 0 ? string.Empty : $" Its last output:{Environment.NewLine}{output}")));
            return;
        }

        logger.LogError("Worker process {ProcessId} exited unexpectedly with code {ExitCode}", launched.Id, exitCode);
        gate.Close();
        if (!restartBudget.TryTake())
        {
            var error = new LocalHostException(
                $"The worker exited {restartBudget.MaxRestarts + 1} times within {restartBudget.Window.TotalSeconds:0} s; it is not restarted again.");
            logger.LogCritical(error, "Giving up on the worker");
            GiveUp(error);
            return;
        }

        try
        {
            await Task.Delay(RestartDelay, stopping.Token);
            logger.LogInformation("Restarting the worker");
            StartProcess();
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("Not restarting the worker: the host is stopping");
        }
        catch (LocalHostException ex)
        {
            logger.LogCritical(ex, "The worker could not be restarted");
            GiveUp(ex);
        }
    }

    private void GiveUp(LocalHostException error)
    {
        gate.Fail(error);
        completion.TrySetException(error);
    }

    private async Task WaitForWorkerStopAsync(WorkerChannel current, Uri? httpUri)
    {
        using var giveUp = new CancellationTokenSource(gracePeriod);
        try
        {
            List<Task> stopped = [current.Completion];
            if (httpUri is not null)
            {
                stopped.Add(WorkerHttpEndpoint.WaitUntilClosedAsync(httpUri, giveUp.Token));
            }

            await Task.WhenAny(stopped).WaitAsync(giveUp.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Worker {WorkerId} did not stop within {GracePeriodSeconds} s", current.WorkerId, gracePeriod.TotalSeconds);
        }
        finally
        {
            await giveUp.CancelAsync();
        }
    }

    private void AdvanceIfCurrent(WorkerChannel connected, StartupStage stage)
    {
        if (IsCurrent(connected))
        {
            gate.Advance(stage);
        }
    }

    private bool IsCurrent(WorkerChannel connected)
    {
        lock (sync)
        {
            return ReferenceEquals(channel, connected);
        }
    }
}
