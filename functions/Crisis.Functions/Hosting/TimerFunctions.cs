using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crisis.Functions.Hosting;

/// <summary>
/// The work of a timer function, apart from its <c>[Function]</c> entry point. Runs are at least once (lease loss,
/// restarts, past-due catch-up, two instances): implementations key their effects on what is due, never on the run.
/// </summary>
public interface ITimerFunction
{
    string Name { get; }

    /// <summary>Does the work; returns a one-line summary for the log.</summary>
    Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}

public static class TimerFunctionServices
{
    /// <summary>Registers a timer's work (the worker makes the function class itself for each run; tools and benchmarks resolve this one).</summary>
    public static IServiceCollection AddTimerFunction<T>(this IServiceCollection services)
        where T : class, ITimerFunction
    {
        services.TryAddSingleton<TimerRuns>();
        services.AddSingleton<T>();
        return services;
    }
}

/// <summary>One run of a timer function, as the host describes it in its TimerInfo.</summary>
public sealed record TimerInvocation(string FunctionName, bool IsPastDue, DateTimeOffset? Last, DateTimeOffset? Next);

/// <summary>Runs timer functions: logging, timing and failure handling in one place.</summary>
public sealed class TimerRuns(ILogger<TimerRuns> logger, TimeProvider time)
{
    /// <summary>
    /// Runs <paramref name="function"/> for the host's <paramref name="timer"/>. A failure is logged and thrown on, so
    /// the host records the invocation as failed; the next occurrence runs as usual.
    /// </summary>
    public async Task RunAsync(ITimerFunction function, TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(timer);
        var invocation = new TimerInvocation(function.Name, timer.IsPastDue, Utc(timer.ScheduleStatus?.Last), Utc(timer.ScheduleStatus?.Next));
        var started = time.GetTimestamp();
        logger.LogInformation("Timer {Function} started (past due: {IsPastDue})", function.Name, invocation.IsPastDue);
        try
        {
            var summary = await function.RunAsync(invocation, cancellationToken);
            logger.LogInformation("Timer {Function} finished in {ElapsedMs} ms: {Summary}", function.Name, time.GetElapsedTime(started).TotalMilliseconds, summary);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "Timer {Function} failed after {ElapsedMs} ms", function.Name, time.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }

    /// <summary>The TimerInfo's times are DateTimes; a missing one arrives as the default value.</summary>
    private static DateTimeOffset? Utc(DateTime? value) => value switch
    {
        null => null,
        { } t when t == default => null,
        { Kind: DateTimeKind.Unspecified } t => new DateTimeOffset(t, TimeSpan.Zero),
        { } t => new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero),
    };
}
