using System.ComponentModel;
using System.Diagnostics;
using Crisis.Functions.Host.FunctionApp;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Workers;

/// <summary>A launched worker process, its stdout and stderr relayed line by line to the "Worker.Console" logger.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private const int RememberedLines = 20;

    private readonly Process process;
    private readonly ILogger console;
    private readonly ILogger logger;
    private readonly Queue<string> recentOutput = new();
    private readonly Lock outputSync = new();

    private WorkerProcess(Process startedProcess, ILoggerFactory loggerFactory)
    {
        process = startedProcess;
        console = loggerFactory.CreateLogger("Worker.Console");
        logger = loggerFactory.CreateLogger<WorkerProcess>();
        process.OutputDataReceived += (_, line) => Relay(line.Data, LogLevel.Information);
        process.ErrorDataReceived += (_, line) => Relay(line.Data, LogLevel.Warning);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Exited = WaitForExitAsync();
    }

    public int Id => process.Id;

    /// <summary>Completes with the exit code when the process has exited and its output is drained.</summary>
    public Task<int> Exited { get; }

    public static WorkerProcess Start(WorkerCommand command, IReadOnlyDictionary<string, string?> environment, ILoggerFactory loggerFactory)
    {
        var startInfo = new ProcessStartInfo(command.FileName)
        {
            WorkingDirectory = command.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new LocalHostException($"Cannot start the worker: '{command.FileName}' could not be run ({ex.Message}).", ex);
        }

        return new WorkerProcess(process, loggerFactory);
    }

    /// <summary>The last lines the worker printed, for start-up failure messages.</summary>
    public string RecentOutput()
    {
        lock (outputSync)
        {
            return string.Join(Environment.NewLine, recentOutput);
        }
    }

    /// <summary>Waits up to <paramref name="gracePeriod"/> for the process to exit, then kills it.</summary>
    public async Task StopAsync(TimeSpan gracePeriod)
    {
        try
        {
            await Exited.WaitAsync(gracePeriod);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Worker process {ProcessId} did not exit within {GracePeriodSeconds} s; killing it", Id, gracePeriod.TotalSeconds);
            Kill();
            await Exited;
        }
    }

    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public void Dispose() => process.Dispose();

    private async Task<int> WaitForExitAsync()
    {
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private void Relay(string? line, LogLevel level)
    {
        if (line is null)
        {
            return;
        }

        lock (outputSync)
        {
            recentOutput.Enqueue(line);
            if (recentOutput.Count > RememberedLines)
            {
                recentOutput.Dequeue();
            }
        }

        console.Log(level, "{WorkerOutput}", line);
    }
}
