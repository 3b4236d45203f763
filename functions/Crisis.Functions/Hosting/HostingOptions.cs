namespace Crisis.Functions.Hosting;

/// <summary>How the handler listens and whether it fires timers itself.</summary>
public sealed class HostingOptions
{
    public const string Section = "Hosting";

    /// <summary>Set by the Functions host: the loopback port it forwards invocations to.</summary>
    public const string CustomHandlerPortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>Where to listen outside the Functions host.</summary>
    public string Urls { get; set; } = "http://localhost:7071";

    /// <summary>Fire timer functions in-process outside the host. Ignored (off) under the host.</summary>
    public bool LocalScheduler { get; set; } = true;
}
