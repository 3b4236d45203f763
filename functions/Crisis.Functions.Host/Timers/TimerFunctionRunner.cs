using System.Collections.Concurrent;
using Crisis.Functions.Host.Catalog;
using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Invocations;
using Crisis.Functions.Host.Protocol;
using Crisis.Functions.Host.Rpc;
using Crisis.Functions.Host.Workers;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Timers;

/// <summary>Runs one timer function, never twice at once, with the schedule status a scheduled run would carry.</summary>
internal sealed class TimerFunctionRunner : IDisposable
{
    // A run that starts this much later than its occurrence reports IsPastDue, as a missed occurrence would.
    private static readonly TimeSpan PastDueMargin = TimeSpan.FromSeconds(1);

    private readonly string functionName;
    private readonly TimerSchedule? schedule;
    private readonly string? scheduleError;
    private readonly ReadinessGate gate;
    private readonly TimeSpan readyTimeout;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SemaphoreSlim running = new(1, 1);

    /// <summary>How long a cancelled run may keep the timer while its worker finishes.</summary>
    private static readonly TimeSpan CancelledRunGrace = TimeSpan.FromSeconds(30);
    private DateTimeOffset? lastScheduledOccurrence;

    public TimerFunctionRunner(HostedFunction function, AppSettingResolver settings, ReadinessGate gate, TimeSpan readyTimeout, TimeProvider time, ILogger logger)
    {
        functionName = function.Name;
        this.gate = gate;
        this.readyTimeout = readyTimeout;
        this.time = time;
        this.logger = logger;
        var declared = function.Schedule ?? string.Empty;
        var (resolved, missingSetting) = settings.Resolve(declared);
        if (resolved is not null)
        {
            schedule = TimerSchedule.Parse(function.Name, resolved);
        }
        else
        {
            scheduleError = FunctionCatalog.UndefinedSetting(function.Name, declared, missingSetting!).Message;
        }
    }

    public string FunctionName => functionName;

    public bool HasSchedule => schedule is not null;

    /// <summary>The parsed schedule; an error naming the missing app setting when it could not be resolved.</summary>
    public TimerSchedule Schedule => schedule ?? throw new LocalHostException(scheduleError!);

    /// <summary>A scheduled occurrence: skipped when the previous run is still going.</summary>
    public async Task RunScheduledAsync(DateTimeOffset occurrence, DateTimeOffset next, CancellationToken cancellationToken)
    {
        if (!await running.WaitAsync(0, cancellationToken))
        {
            logger.LogWarning("Skipped timer {FunctionName} occurrence {Occurrence:O}: the previous run is still in progress", functionName, occurrence);
            return;
        }

        try
        {
            var last = lastScheduledOccurrence ?? Schedule.PreviousBefore(occurrence) ?? default;
            lastScheduledOccurrence = occurrence;
            await RunAsync(occurrence, last, next, pastDue: null, cancellationToken);
        }
        finally
        {
            running.Release();
        }
    }

    /// <summary>A run on demand, now: waits for a run in progress, then runs exactly as a scheduled one would.</summary>
    public async Task<TimerRun> RunNowAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        await running.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var last = lastScheduledOccurrence ?? Schedule.PreviousBefore(now) ?? default;
            return await RunAsync(now, last, Schedule.NextAfter(now), isPastDue, cancellationToken);
        }
        finally
        {
            running.Release();
        }
    }

    public void Dispose() => running.Dispose();

    /// <param name="pastDue">The run's IsPastDue; null to tell from how late the run starts (after waiting for a ready worker).</param>
    private async Task<TimerRun> RunAsync(
        DateTimeOffset occurrence, DateTimeOffset last, DateTimeOffset next, bool? pastDue, CancellationToken cancellationToken)
    {
        var invocationId = Guid.NewGuid().ToString();
        var started = TimeProvider.System.GetTimestamp();
        var startedAt = time.GetUtcNow();
        var isPastDue = pastDue ?? false;
        var logs = new ConcurrentQueue<string>();
        string? failure;
        try
        {
            var session = await gate.WaitAsync(readyTimeout, cancellationToken);
            var function = session.Find(functionName)
                ?? throw new LocalHostException($"The worker no longer has function '{functionName}'.");
            startedAt = time.GetUtcNow();
            isPastDue = pastDue ?? startedAt - occurrence > PastDueMargin;
            logger.LogInformation(
                "Executing {FunctionName} (timer, invocation {InvocationId}, occurrence {Occurrence:O}, IsPastDue {IsPastDue})",
                functionName,
                invocationId,
                occurrence,
                isPastDue);
            var request = InvocationRequests.ForTimer(function, invocationId, TimerInfoJson.Create(last, next, startedAt, isPastDue));
            InvocationResponse response;
            using (session.Channel.CaptureLogs(invocationId, logs))
            {
                // A cancelled run is cancelled in the worker and still awaited (for a grace period) before the timer
                // is free again, as the Functions host holds a timer's lock until its invocation returns: a run on
                // demand or the next occurrence never overlaps one that is still finishing.
                var invocation = session.Channel.InvokeAsync(request, CancellationToken.None);
                using var cancel = cancellationToken.Register(() => session.Channel.Cancel(invocationId));
                try
                {
                    response = await invocation.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await Task.WhenAny(invocation, Task.Delay(CancelledRunGrace, CancellationToken.None));
                    _ = invocation.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw;
                }
            }

            failure = response.Result?.Status == StatusResult.Types.Status.Success
                ? null
                : response.Result?.Exception?.Message is { Length: > 0 } message ? message : $"The invocation ended with status {response.Result?.Status}.";
        }
        catch (Exception ex) when (ex is LocalHostException or WorkerConnectionLostException)
        {
            failure = ex.Message;
        }

        var duration = TimeProvider.System.GetElapsedTime(started);
        if (failure is null)
        {
            logger.LogInformation(
                "Executed {FunctionName} (Succeeded, invocation {InvocationId}, {DurationMs:0} ms)", functionName, invocationId, duration.TotalMilliseconds);
        }
        else
        {
            logger.LogError(
                "Executed {FunctionName} (Failed, invocation {InvocationId}, {DurationMs:0} ms): {Failure}", functionName, invocationId, duration.TotalMilliseconds, failure);
        }

        return new TimerRun
        {
            FunctionName = functionName,
            InvocationId = invocationId,
            Succeeded = failure is null,
            ErrorMessage = failure,
            IsPastDue = isPastDue,
            Occurrence = occurrence,
            StartedAt = startedAt,
            Duration = duration,
            Logs = [.. logs],
        };
    }
}
