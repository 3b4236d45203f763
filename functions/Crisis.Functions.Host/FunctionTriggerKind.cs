namespace Crisis.Functions.Host;

public enum FunctionTriggerKind
{
    /// <summary>A trigger this host does not run (queue, blob, ...): the function is loaded but never invoked.</summary>
    Other,
    Http,
    Timer,
}
