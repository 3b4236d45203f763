namespace Crisis.Functions.Host.Cli;

/// <summary>What the command-line host prints once the worker is ready.</summary>
public static class StartupBanner
{
    public const string Title = "Crisis.Functions local Functions host (development only: function keys are not enforced)";

    public static string Render(Uri baseAddress, IReadOnlyList<HostedFunction> functions, bool timersRun)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(functions);
        var lines = new List<string> { Title, $"Listening on {baseAddress}", string.Empty, "Functions:" };
        var width = functions.Count == 0 ? 0 : functions.Max(function => function.Name.Length);
        foreach (var function in functions.OrderBy(function => function.TriggerKind).ThenBy(function => function.Name, StringComparer.Ordinal))
        {
            lines.Add($"  {function.Name.PadRight(width)}  {Describe(function, baseAddress, timersRun)}");
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string Describe(HostedFunction function, Uri baseAddress, bool timersRun) => function.TriggerKind switch
    {
        FunctionTriggerKind.Http =>
            $"[{(function.Methods.Count == 0 ? "ALL" : string.Join(',', function.Methods))}] {baseAddress}{function.Route}",
        FunctionTriggerKind.Timer =>
            $"timer {Schedule(function)}{(timersRun ? string.Empty : " (not scheduled: --no-timers)")}",
        _ => "not triggered by this host",
    };

    private static string Schedule(HostedFunction function) =>
        function.ResolvedSchedule is null ? $"{function.Schedule} (unresolved)"
        : function.ResolvedSchedule == function.Schedule ? function.Schedule
        : $"{function.Schedule} = {function.ResolvedSchedule}";
}
