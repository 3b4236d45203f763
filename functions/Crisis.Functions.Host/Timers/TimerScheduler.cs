using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Workers;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Timers;

/// <summary>Fires each timer function at the occurrences of its schedule, on the configured clock.</summary>
internal sealed class TimerScheduler : IAsyncDisposable
{
    // Task.Delay takes at most about 49 days; longer waits are done in steps.
    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(1);

    private readonly ReadinessGate gate;
    private readonly TimeSpan readyTimeout;
    private readonly TimeProvider time;
    private readonly AppSettingResolver settings;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, TimerFunctionRunner> runners = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Task> schedules = [];
    private readonly Lock sync = new();

    public TimerScheduler(ReadinessGate gate, TimeSpan readyTimeout, TimeProvider time, AppSettingResolver settings, ILogger logger)
    {
        this.gate = gate;
        this.readyTimeout = readyTimeout;
        this.time = time;
        this.settings = settings;
        this.logger = logger;
    }

    /// <summary>Registers the timer functions the first time a worker is ready; later sessions keep the same timers.</summary>
    public void Register(IEnumerable<HostedFunction> functions, bool runSchedules)
    {
        lock (sync)
        {
            if (runners.Count > 0 || stopping.IsCancellationRequested)
            {
                return;
            }

            foreach (var function in functions.Where(function => function.TriggerKind == FunctionTriggerKind.Timer))
            {
                var runner = new TimerFunctionRunner(function, settings, gate, readyTimeout, time, logger);
                runners[function.Name] = runner;
                if (runSchedules && runner.HasSchedule)
                {
                    schedules.Add(FollowScheduleAsync(runner, stopping.Token));
                }
            }
        }
    }

    public Task<TimerRun> RunNowAsync(string functionName, bool isPastDue, CancellationToken cancellationToken)
    {
        TimerFunctionRunner? runner;
        lock (sync)
        {
            runners.TryGetValue(functionName, out runner);
        }

        return runner is null
            ? throw new ArgumentException($"There is no timer function named '{functionName}'.", nameof(functionName))
            : runner.RunNowAsync(isPastDue, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (sync)
        {
            stopping.Cancel();
            running = [.. schedules];
        }

        await Task.WhenAll(running);
        foreach (var runner in runners.Values)
        {
            runner.Dispose();
        }

        stopping.Dispose();
    }

    private async Task FollowScheduleAsync(TimerFunctionRunner runner, CancellationToken cancellationToken)
    {
        var next = runner.Schedule.NextAfter(time.GetUtcNow());
        logger.LogInformation("Timer {FunctionName} next runs at {Next:O}", runner.FunctionName, next);
        var occurrences = new List<Task>();
        try
        {
            while (true)
            {
                await DelayUntilAsync(next, cancellationToken);
                var occurrence = next;
                var now = time.GetUtcNow();

                // After a long stall (a suspended machine) the missed occurrences collapse into this one past-due run.
                next = runner.Schedule.NextAfter(occurrence > now ? occurrence : now);
                occurrences.RemoveAll(run => run.IsCompleted);
                occurrences.Add(runner.RunScheduledAsync(occurrence, next, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("Timer {FunctionName} stopped", runner.FunctionName);
        }

        try
        {
            await Task.WhenAll(occurrences);
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("Timer {FunctionName} run cancelled by shutdown", runner.FunctionName);
        }
    }

    private async Task DelayUntilAsync(DateTimeOffset due, CancellationToken cancellationToken)
    {
        for (var wait = due - time.GetUtcNow(); wait > TimeSpan.Zero; wait = due - time.GetUtcNow())
        {
            await Task.Delay(wait < LongestDelay ? wait : LongestDelay, time, cancellationToken);
        }
    }
}
