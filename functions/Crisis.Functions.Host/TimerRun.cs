namespace Crisis.Functions.Host;

/// <summary>The outcome of one timer function invocation.</summary>
public sealed class TimerRun
{
    public required string FunctionName { get; init; }

    public required string InvocationId { get; init; }

    public required bool Succeeded { get; init; }

    /// <summary>The worker's exception message when the run failed, or why the host could not run it.</summary>
    public string? ErrorMessage { get; init; }

    public required bool IsPastDue { get; init; }

    /// <summary>The schedule occurrence this run stands for (the start time for an on-demand run).</summary>
    public required DateTimeOffset Occurrence { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>What the worker logged during the run, in order.</summary>
    public IReadOnlyList<string> Logs { get; init; } = [];
}
