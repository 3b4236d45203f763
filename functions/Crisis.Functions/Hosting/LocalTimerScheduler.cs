using Microsoft.Extensions.Options;
using NCrontab;

namespace Crisis.Functions.Hosting;

/// <summary>
/// Outside the Functions host, fires every timer function on the schedule of its app setting, through the same
/// <see cref="TimerDispatcher"/> the host's invocations reach. Off under the host, where the host owns timers.
/// Runs of one function never overlap; a run that starts late is flagged past due, as the host does.
/// </summary>
public sealed class LocalTimerScheduler(
    IEnumerable<ITimerFunction> functions,
    TimerDispatcher dispatcher,
    IConfiguration configuration,
    IOptions<HostingOptions> hosting,
    TimeProvider time,
    ILogger<LocalTimerScheduler> logger) : BackgroundService
{
    /// <summary>How late a run may start before it counts as past due.</summary>
    public static readonly TimeSpan PastDueAfter = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!hosting.Value.LocalScheduler || !string.IsNullOrEmpty(configuration[HostingOptions.CustomHandlerPortSetting]))
        {
            logger.LogInformation("Local scheduler is off: timers are fired by the Functions host or not at all");
            return Task.CompletedTask;
        }

        return Task.WhenAll(functions.Select(function => RunScheduleAsync(
            function,
            TimerFunctionEndpoints.ParseSchedule(configuration[function.ScheduleSetting], function.ScheduleSetting),
            stoppingToken)));
    }

    private async Task RunScheduleAsync(ITimerFunction function, CrontabSchedule schedule, CancellationToken stoppingToken)
    {
        logger.LogInformation("Local scheduler: {Function} runs on \"{Schedule}\" ({Setting})", function.Name, configuration[function.ScheduleSetting], function.ScheduleSetting);
        DateTimeOffset? last = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                var due = new DateTimeOffset(schedule.GetNextOccurrence(now.UtcDateTime), TimeSpan.Zero);
                var wait = due - now;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                var next = new DateTimeOffset(schedule.GetNextOccurrence(due.UtcDateTime), TimeSpan.Zero);
                var pastDue = time.GetUtcNow() - due > PastDueAfter;
                await dispatcher.InvokeAsync(function, new TimerInvocation(function.Name, pastDue, last, next, TimerTrigger.LocalScheduler), stoppingToken);
                last = due;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogDebug("Local scheduler for {Function} stopped", function.Name);
        }
    }
}
