using System.Diagnostics;
using System.Globalization;

namespace Crisis.Functions.Host.Local;

/// <summary>
/// An Azurite storage emulator run from the repository's own node_modules, on loopback. Azurite runs under a
/// tiny Node supervisor that exits when our end of its stdin closes, so it dies with this process even on a
/// crash. Used by the local run command and by the integration tests.
/// </summary>
public sealed class EmbeddedAzurite : IAsyncDisposable
{
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Exit when the parent closes stdin, then run Azurite's own entry point with the remaining arguments.</summary>
    private const string Supervisor = "process.stdin.on('end',()=>process.exit(0)).resume();require(process.argv[1])";

    /// <summary>
    /// The same for an Azurite that persists: on stdin's end it shuts down as on SIGTERM (no new connections) and
    /// exits after 6 s, past its databases' 5 s autosave, so the data folder keeps every write it acknowledged.
    /// </summary>
    private const string PersistingSupervisor =
        "process.stdin.on('end',()=>{setTimeout(()=>process.exit(0),6000);process.emit('SIGTERM')}).resume();require(process.argv[1])";

    private readonly Process _process;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _servicesListening;
    private bool _stopped;

    private EmbeddedAzurite(Process process, string? dataFolder, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        DataFolder = dataFolder;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    /// <summary>Where it persists, or null when in memory.</summary>
    public string? DataFolder { get; }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};");

    /// <summary>The folder of <c>node_modules/azurite</c>, looked for upward from the working directory and from the app's folder.</summary>
    public static string? FindEntryPoint()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "node_modules", "azurite", "dist", "src", "azurite.js");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Starts Azurite on free loopback ports: in memory when <paramref name="dataFolder"/> is null, else persisted
    /// there. Returns once both the blob and the table endpoints accept connections.
    /// </summary>
    public static async Task<EmbeddedAzurite> StartAsync(string? dataFolder = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var entryPoint = FindEntryPoint() ?? throw new InvalidOperationException(
            "Azurite is not installed: run 'npm ci' in the repository root (the README's commands do it for you).");
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        Exception? lastFailure = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // A port found free can be taken by someone else before Azurite binds it: try fresh ones then.
            var (blob, queue, table) = (LoopbackPorts.Free(), LoopbackPorts.Free(), LoopbackPorts.Free());
            var azurite = Launch(entryPoint, dataFolder, blob, queue, table);
            try
            {
                await azurite.WaitUntilListeningAsync(limit, cancellationToken);
                return azurite;
            }
            catch (InvalidOperationException e)
            {
                lastFailure = e;
                await azurite.DisposeAsync();
            }
        }

        throw new InvalidOperationException("Azurite did not start.", lastFailure);
    }

    /// <summary>
    /// Starts Azurite again on this (stopped) instance's ports and data folder, as a storage account comes back
    /// after an outage: the same connection string reaches it, holding what it held.
    /// </summary>
    public async Task<EmbeddedAzurite> StartAgainAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!_stopped)
        {
            throw new InvalidOperationException("This Azurite is still running: dispose it first.");
        }

        var entryPoint = FindEntryPoint() ?? throw new InvalidOperationException("Azurite is not installed: run 'npm ci' in the repository root.");
        var azurite = Launch(entryPoint, DataFolder, BlobPort, QueuePort, TablePort);
        try
        {
            await azurite.WaitUntilListeningAsync(timeout ?? TimeSpan.FromSeconds(30), cancellationToken);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    private static EmbeddedAzurite Launch(string entryPoint, string? dataFolder, int blob, int queue, int table)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-e", dataFolder is null ? Supervisor : PersistingSupervisor, entryPoint, "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl" })
        {
            start.ArgumentList.Add(argument);
        }

        if (dataFolder is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(dataFolder);
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(dataFolder);
        }

        foreach (var (service, port) in new[] { ("blob", blob), ("queue", queue), ("table", table) })
        {
            start.ArgumentList.Add($"--{service}Host");
            start.ArgumentList.Add("127.0.0.1");
            start.ArgumentList.Add($"--{service}Port");
            start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var azurite = new EmbeddedAzurite(process, dataFolder, blob, queue, table);
        process.OutputDataReceived += (_, line) => azurite.Observe(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return azurite;
    }

    /// <summary>
    /// Counts Azurite's own "successfully listening" lines for our blob and table ports. A connection test alone
    /// is not enough: another process may have taken a port found free, and would answer in Azurite's place.
    /// </summary>
    private void Observe(string? line)
    {
        if (line is null || !line.Contains("successfully listening", StringComparison.Ordinal))
        {
            return;
        }

        foreach (var port in new[] { BlobPort, TablePort })
        {
            if (line.EndsWith(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"), StringComparison.Ordinal)
                && Interlocked.Increment(ref _servicesListening) == 2)
            {
                _listening.TrySetResult();
            }
        }
    }

    private async Task WaitUntilListeningAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var exited = _process.WaitForExitAsync(timeout.Token);
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(Timeout.Infinite, timeout.Token));
        cancellationToken.ThrowIfCancellationRequested();
        if (first == _listening.Task)
        {
            return;
        }

        throw _process.HasExited
            ? new InvalidOperationException($"Azurite exited with code {_process.ExitCode} while starting.")
            : new InvalidOperationException($"Azurite did not listen on ports {BlobPort} and {TablePort} within {limit.TotalSeconds} s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _stopped = true;
    }
}
