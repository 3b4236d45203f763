using System.Globalization;

namespace Crisis.Functions.Host.Cli;

/// <summary>The host's command line: --app DIR [--port N] [--no-timers] [--Name=Value ...].</summary>
public sealed class CommandLine
{
    public const string Usage =
        "Usage: dotnet Crisis.Functions.Host.dll --app <worker output folder> [--port 7071] [--no-timers] [--local] [--Name=Value ...]\n"
        + "  --app        the worker app's build output (functions.metadata, worker.config.json, host.json)\n"
        + "  --port       the HTTP port (0 picks a free one); default 7071\n"
        + "  --no-timers  do not fire timer functions on their schedules\n"
        + "  --local      also run Azurite (data in .azurite/) with the demo crisis and local keys\n"
        + "  --Name=Value an app setting, passed to the worker as an environment variable";

    private CommandLine(LocalHostOptions? options, string? error, bool local = false)
    {
        Options = options;
        Error = error;
        Local = local;
    }

    /// <summary>Whether to run the local storage and demo around the host (<c>--local</c>).</summary>
    public bool Local { get; }

    /// <summary>The options to start the host with; null when the command line is wrong.</summary>
    public LocalHostOptions? Options { get; }

    /// <summary>What is wrong with the command line, for the user.</summary>
    public string? Error { get; }

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? app = null;
        var port = 7071;
        var runTimers = true;
        var local = false;
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--app":
                    if (++i >= args.Count)
                    {
                        return Invalid("--app needs a folder.");
                    }

                    app = args[i];
                    break;
                case "--port":
                    if (++i >= args.Count || !int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
                    {
                        return Invalid("--port needs a port number between 0 and 65535.");
                    }

                    break;
                case "--no-timers":
                    runTimers = false;
                    break;
                case "--local":
                    local = true;
                    break;
                case "--help" or "-h":
                    return Invalid(null);
                default:
                    var separator = arg.IndexOf('=', StringComparison.Ordinal);
                    if (!arg.StartsWith("--", StringComparison.Ordinal) || separator <= 2)
                    {
                        return Invalid($"Unknown argument '{arg}'.");
                    }

                    settings[arg[2..separator]] = arg[(separator + 1)..];
                    break;
            }
        }

        return app is null
            ? Invalid("--app is required.")
            : new CommandLine(new LocalHostOptions { AppDirectory = app, HttpPort = port, RunTimers = runTimers, AppSettings = settings }, null, local);
    }

    private static CommandLine Invalid(string? error) => new(null, error is null ? Usage : $"{error}\n{Usage}");
}
