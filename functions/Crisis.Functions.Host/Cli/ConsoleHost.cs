using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Cli;

/// <summary>Runs the host from the command line until Ctrl-C or SIGTERM, or until the worker cannot be kept running.</summary>
public static class ConsoleHost
{
    /// <param name="options">The host's options; without a logger factory, logs go to the console.</param>
    /// <param name="describe">More lines for the start banner, given the host's address (the local run's URLs and key).</param>
    public static async Task<int> RunAsync(LocalHostOptions options, TextWriter output, TextWriter error, Func<Uri, string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        using var loggerFactory = CreateLoggerFactory();
        using var shutdown = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => RequestShutdown(signal, shutdown));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => RequestShutdown(signal, shutdown));

        LocalFunctionsHost host;
        try
        {
            host = await LocalFunctionsHost.StartAsync(options with { LoggerFactory = options.LoggerFactory ?? loggerFactory }, shutdown.Token);
        }
        catch (LocalHostException ex)
        {
            await error.WriteLineAsync($"The local Functions host did not start: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("The local Functions host was stopped before it was ready.");
            return 1;
        }

        await using (host)
        {
            await output.WriteLineAsync(StartupBanner.Render(host.BaseAddress, host.Functions, options.RunTimers));
            if (describe is not null)
            {
                await output.WriteLineAsync(describe(host.BaseAddress));
            }
            await output.WriteLineAsync();
            await output.WriteLineAsync("Press Ctrl-C to stop.");
            await output.FlushAsync();

            var stopped = await Task.WhenAny(host.Completion, Task.Delay(Timeout.Infinite, shutdown.Token));
            if (stopped == host.Completion && host.Completion.Exception?.InnerException is { } failure)
            {
                await error.WriteLineAsync($"The local Functions host is stopping: {failure.Message}");
                return 1;
            }

            await output.WriteLineAsync("Stopping...");
        }

        return 0;
    }

    private static void RequestShutdown(PosixSignalContext signal, CancellationTokenSource shutdown)
    {
        signal.Cancel = true;
        shutdown.Cancel();
    }

    private static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Worker.Microsoft", LogLevel.Warning)
        .AddFilter("Grpc", LogLevel.Warning)
        .AddFilter("Yarp", LogLevel.Error)
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        }));
}
