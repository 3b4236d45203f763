namespace Crisis.Functions.Host.Workers;

/// <summary>
/// The current worker session, or the stage the next one is at: callers wait here until a worker is ready, and
/// learn which stage stalled when they give up.
/// </summary>
internal sealed class ReadinessGate
{
    private readonly Lock sync = new();
    private TaskCompletionSource<WorkerSession> ready = NewSource();

    public StartupStage Stage { get; private set; } = StartupStage.WorkerStart;

    public WorkerSession? Current { get; private set; }

    public void Advance(StartupStage stage)
    {
        lock (sync)
        {
            Stage = stage;
        }
    }

    public void Open(WorkerSession session)
    {
        lock (sync)
        {
            Stage = StartupStage.Ready;
            Current = session;
            if (!ready.TrySetResult(session))
            {
                ready = NewSource();
                ready.SetResult(session);
            }
        }
    }

    /// <summary>The worker went away: callers wait again, for the next session.</summary>
    public void Close()
    {
        lock (sync)
        {
            Current = null;
            Stage = StartupStage.WorkerStart;
            if (ready.Task.IsCompleted)
            {
                ready = NewSource();
            }
        }
    }

    /// <summary>
    /// No worker is coming: current and later waiters get the error until a new session opens. The first error
    /// stands, so a worker killed after a failed start-up does not hide why it failed.
    /// </summary>
    public void Fail(Exception error)
    {
        lock (sync)
        {
            Current = null;
            if (ready.Task.IsFaulted || ready.TrySetException(error))
            {
                return;
            }

            ready = NewSource();
            ready.SetException(error);
        }
    }

    public Task<WorkerSession> WaitAsync(CancellationToken cancellationToken)
    {
        lock (sync)
        {
            return ready.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits at most <paramref name="timeout"/>; a timeout names the stage the worker is stuck at.</summary>
    public async Task<WorkerSession> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new LocalHostException(
                $"The worker was not ready within {timeout.TotalSeconds:0.#} s: timed out at stage {Stage.Describe()}.", ex);
        }
    }

    private static TaskCompletionSource<WorkerSession> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
