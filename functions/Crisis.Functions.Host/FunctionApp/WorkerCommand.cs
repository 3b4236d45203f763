namespace Crisis.Functions.Host.FunctionApp;

/// <summary>How to start the worker process, read from the app's worker.config.json as the Functions host does.</summary>
internal sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    public const string ConfigFileName = "worker.config.json";

    /// <param name="appDirectory">The app's output folder, also the working directory.</param>
    /// <param name="hostArguments">The --functions-* arguments that tell the worker where the host is.</param>
    public static WorkerCommand Load(string appDirectory, IReadOnlyList<string> hostArguments)
    {
        var configPath = Path.Combine(appDirectory, ConfigFileName);
        if (!File.Exists(configPath))
        {
            throw new LocalHostException(
                $"Cannot start the worker: {configPath} does not exist. Point the host at the worker's build output folder (it holds {ConfigFileName}, functions.metadata and host.json).");
        }

        using var document = JsonFiles.Read(configPath);
        var description = document.RootElement.Property("description")
            ?? throw new LocalHostException($"Cannot start the worker: {configPath} has no \"description\".");

        var workerPath = description.StringProperty("defaultWorkerPath");
        if (string.IsNullOrWhiteSpace(workerPath))
        {
            throw new LocalHostException($"Cannot start the worker: {configPath} has no \"description.defaultWorkerPath\".");
        }

        var fullWorkerPath = Path.GetFullPath(Path.Combine(appDirectory, workerPath));
        if (!File.Exists(fullWorkerPath))
        {
            throw new LocalHostException(
                $"Cannot start the worker: {fullWorkerPath} (description.defaultWorkerPath in {ConfigFileName}) does not exist. Build the worker app first.");
        }

        var executable = ResolveExecutable(description.StringProperty("defaultExecutablePath"), appDirectory, configPath);

        List<string> arguments =
        [
            .. description.StringArrayProperty("arguments"),
            fullWorkerPath,
            .. description.StringArrayProperty("workerArguments"),
            .. hostArguments,
        ];
        return new WorkerCommand(executable, arguments, appDirectory);
    }

    private static string ResolveExecutable(string? configured, string appDirectory, string configPath)
    {
        if (string.IsNullOrWhiteSpace(configured) || IsDotnet(configured))
        {
            return CurrentDotnetHost() ?? "dotnet";
        }

        if (!configured.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) && !configured.Contains('/', StringComparison.Ordinal))
        {
            return configured;
        }

        var fullPath = Path.GetFullPath(Path.Combine(appDirectory, configured));
        return File.Exists(fullPath)
            ? fullPath
            : throw new LocalHostException($"Cannot start the worker: {fullPath} (description.defaultExecutablePath in {configPath}) does not exist.");
    }

    private static bool IsDotnet(string executable) =>
        string.Equals(executable, "dotnet", StringComparison.OrdinalIgnoreCase)
        || string.Equals(executable, "dotnet.exe", StringComparison.OrdinalIgnoreCase);

    // The dotnet that runs this host, so a worker starts even when dotnet is not on PATH.
    private static string? CurrentDotnetHost()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var processPath = Environment.ProcessPath;
        return processPath is not null && IsDotnet(Path.GetFileName(processPath)) ? processPath : null;
    }
}
