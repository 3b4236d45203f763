using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using NCrontab;

namespace Crisis.Functions.Hosting;

/// <summary>
/// A timer-triggered function. The Functions host POSTs each run to <c>/{Name}</c>; outside the host the local
/// scheduler fires it on the same schedule, read from the app setting <see cref="ScheduleSetting"/>.
/// Runs are at least once: implementations key their effects on what is due, never on the run itself.
/// </summary>
public interface ITimerFunction
{
    string Name { get; }

    /// <summary>The app setting holding the 6-field NCRONTAB schedule, referenced as %SETTING% in function.json.</summary>
    string ScheduleSetting { get; }

    /// <summary>Does the work; returns a one-line summary for the host's invocation log.</summary>
    Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>Who fired a timer run.</summary>
public enum TimerTrigger
{
    FunctionsHost,
    LocalScheduler,
}

/// <summary>One run of a timer function, as the host describes it (its TimerInfo) or the local scheduler builds it.</summary>
public sealed record TimerInvocation(
    string FunctionName,
    bool IsPastDue,
    DateTimeOffset? Last,
    DateTimeOffset? Next,
    TimerTrigger Trigger);

/// <summary>The response body the Functions host expects from a custom handler.</summary>
public sealed record InvocationResponse(
    [property: JsonPropertyName("Outputs")] Dictionary<string, object?> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue")] object? ReturnValue);

/// <summary>Runs timer functions, whoever fired them: logging, timing and failure handling in one place.</summary>
public sealed class TimerDispatcher(ILogger<TimerDispatcher> logger, TimeProvider time)
{
    public async Task<(bool Succeeded, string Summary)> InvokeAsync(ITimerFunction function, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(invocation);
        var started = time.GetTimestamp();
        logger.LogInformation("Timer {Function} fired by {Trigger} (past due: {IsPastDue})", function.Name, invocation.Trigger, invocation.IsPastDue);
        try
        {
            var summary = await function.RunAsync(invocation, cancellationToken);
            logger.LogInformation("Timer {Function} finished in {ElapsedMs} ms: {Summary}", function.Name, time.GetElapsedTime(started).TotalMilliseconds, summary);
            return (true, summary);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "Timer {Function} failed after {ElapsedMs} ms", function.Name, time.GetElapsedTime(started).TotalMilliseconds);
            return (false, $"{function.Name} failed: {e.Message}");
        }
    }
}

public static class TimerFunctionEndpoints
{
    /// <summary>The binding name of the timer trigger in every timer function.json (Data.timer in the invocation).</summary>
    public const string BindingName = "timer";

    private const int MaxInvocationBytes = 64 * 1024;

    public static IServiceCollection AddTimerFunction<T>(this IServiceCollection services)
        where T : class, ITimerFunction
    {
        services.AddSingleton<T>();
        services.AddSingleton<ITimerFunction>(sp => sp.GetRequiredService<T>());
        return services;
    }

    /// <summary>Parses a 6-field NCRONTAB expression (seconds first), as the Functions host does.</summary>
    public static CrontabSchedule ParseSchedule(string? expression, string setting)
    {
        var schedule = string.IsNullOrWhiteSpace(expression)
            ? null
            : CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        return schedule ?? throw new InvalidOperationException(
            $"App setting {setting} must hold a 6-field NCRONTAB schedule such as \"0 */5 * * * *\"; it holds \"{expression}\".");
    }

    /// <summary>Maps <c>POST /{Name}</c> for every timer function, after checking every schedule setting parses.</summary>
    public static void MapTimerFunctions(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var function in app.Services.GetServices<ITimerFunction>())
        {
            ParseSchedule(app.Configuration[function.ScheduleSetting], function.ScheduleSetting);
            app.MapPost("/" + function.Name, (HttpRequest request, TimerDispatcher dispatcher, CancellationToken cancellationToken) =>
                    InvokeFromHostAsync(function, request, dispatcher, cancellationToken))
                .WithMetadata(function)
                .ExcludeFromDescription();
        }
    }

    internal static async Task<Results<Ok<InvocationResponse>, ProblemHttpResult>> InvokeFromHostAsync(
        ITimerFunction function, HttpRequest request, TimerDispatcher dispatcher, CancellationToken cancellationToken)
    {
        TimerInvocation invocation;
        try
        {
            using var body = await RequestBody.ParseJsonAsync(request, MaxInvocationBytes, cancellationToken);
            invocation = ReadInvocation(function.Name, body.RootElement);
        }
        catch (JsonException e)
        {
            return Problems.Create(400, Problems.InvalidJson, "Malformed invocation body", e.Message);
        }
        catch (InvalidInvocationException e)
        {
            return Problems.Create(400, Problems.InvalidInvocation, "Invalid timer invocation", e.Message);
        }
        catch (RequestBodyTooLargeException e)
        {
            return Problems.Create(413, Problems.PayloadTooLarge, "Invocation body too large", e.Message);
        }

        var (succeeded, summary) = await dispatcher.InvokeAsync(function, invocation, cancellationToken);
        return succeeded
            ? TypedResults.Ok(new InvocationResponse([], [summary], null))
            : Problems.Create(500, Problems.TimerFailed, "Timer function failed", summary);
    }

    /// <summary>
    /// Reads the host's body <c>{"Data":{"timer":{TimerInfo}},"Metadata":{...}}</c>. TimerInfo may come as an
    /// object or as a JSON string; ScheduleStatus is null when the schedule monitor is off.
    /// </summary>
    internal static TimerInvocation ReadInvocation(string functionName, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidInvocationException("The invocation body must be a JSON object.");
        }

        var timer = default(JsonElement);
        if (root.TryGetProperty("Data", out var data))
        {
            if (data.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInvocationException("Data must be an object.");
            }

            if (data.TryGetProperty(BindingName, out timer) && timer.ValueKind == JsonValueKind.String)
            {
                using var inner = JsonDocument.Parse(timer.GetString()!);
                timer = inner.RootElement.Clone();
            }
        }

        if (timer.ValueKind == JsonValueKind.Undefined || timer.ValueKind == JsonValueKind.Null)
        {
            return new TimerInvocation(functionName, false, null, null, TimerTrigger.FunctionsHost);
        }

        if (timer.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidInvocationException($"Data.{BindingName} must be the timer's TimerInfo object.");
        }

        var isPastDue = false;
        if (timer.TryGetProperty("IsPastDue", out var pastDue))
        {
            isPastDue = pastDue.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidInvocationException("IsPastDue must be true or false."),
            };
        }

        DateTimeOffset? last = null, next = null;
        if (timer.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind != JsonValueKind.Null)
        {
            if (status.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInvocationException("ScheduleStatus must be an object or null.");
            }

            last = ReadTime(status, "Last");
            next = ReadTime(status, "Next");
        }

        return new TimerInvocation(functionName, isPastDue, last, next, TimerTrigger.FunctionsHost);
    }

    private static DateTimeOffset? ReadTime(JsonElement status, string name)
    {
        if (!status.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time)
            ? time
            : throw new InvalidInvocationException($"ScheduleStatus.{name} must be an ISO 8601 date and time.");
    }

    private sealed class InvalidInvocationException(string message) : Exception(message);
}
