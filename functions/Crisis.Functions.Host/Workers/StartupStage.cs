namespace Crisis.Functions.Host.Workers;

/// <summary>Where a worker is on its way to serving invocations.</summary>
internal enum StartupStage
{
    /// <summary>Waiting for the worker process to start and open its stream (StartStream).</summary>
    WorkerStart,

    /// <summary>Waiting for WorkerInitResponse.</summary>
    Init,

    /// <summary>Waiting for FunctionMetadataResponse.</summary>
    Metadata,

    /// <summary>Waiting for a FunctionLoadResponse per function.</summary>
    Load,

    /// <summary>Waiting for the worker's own HTTP endpoint (its HttpUri) to accept connections.</summary>
    HttpEndpoint,

    Ready,
}

internal static class StartupStageText
{
    public static string Describe(this StartupStage stage) => stage switch
    {
        StartupStage.WorkerStart => "worker start (process start and StartStream)",
        StartupStage.Init => "init (WorkerInitResponse)",
        StartupStage.Metadata => "metadata (FunctionMetadataResponse)",
        StartupStage.Load => "load (FunctionLoadResponse)",
        StartupStage.HttpEndpoint => "HTTP endpoint (the worker's HttpUri accepting connections)",
        _ => "ready",
    };
}
