namespace Crisis.Functions.Host;

/// <summary>A function as the worker indexed it, with what the host needs to trigger it.</summary>
public sealed class HostedFunction
{
    public required string Name { get; init; }

    public required string FunctionId { get; init; }

    public required FunctionTriggerKind TriggerKind { get; init; }

    /// <summary>The trigger binding's name: the parameter the trigger input binds to.</summary>
    public required string TriggerBindingName { get; init; }

    /// <summary>HTTP functions: the route template including the route prefix, e.g. "api/hello/{name}".</summary>
    public string? Route { get; init; }

    /// <summary>HTTP functions: the allowed methods in upper case; empty allows every method.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>HTTP functions: the declared authorization level. This host does not enforce it.</summary>
    public string? AuthLevel { get; init; }

    /// <summary>Timer functions: the schedule as declared, e.g. "%TICK_SCHEDULE%".</summary>
    public string? Schedule { get; init; }

    /// <summary>Timer functions: the schedule with %SETTING% references resolved; null when a setting is missing.</summary>
    public string? ResolvedSchedule { get; init; }
}
