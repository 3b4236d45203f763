using System.Diagnostics;
using Crisis.Functions.Host.Local;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// A real SMTP server (Debian's python3-aiosmtpd, run with Debian's own python3) on a loopback port, storing
/// every message in a Maildir the test reads. Installed by the test command; started and stopped here.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private SmtpSink(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpSink> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("crisis-smtp-").FullName;
        var errors = new System.Text.StringBuilder();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // A port found free can be taken before aiosmtpd binds it, and a connection test would then reach the
            // other listener: wait for aiosmtpd's own "listening" line (-d), and try a fresh port if it exits.
            var port = LoopbackPorts.Free();
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-d", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(folder, "mail") })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the SMTP sink.");
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.ErrorDataReceived += (_, e) =>
            {
                if (listening.Task.IsCompleted || e.Data is null)
                {
                    return;
                }

                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }

                if (e.Data.EndsWith($"Server is listening on 127.0.0.1:{port}", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var exited = process.WaitForExitAsync(limit.Token);
            if (await Task.WhenAny(listening.Task, exited, Task.Delay(Timeout.Infinite, limit.Token)) == listening.Task)
            {
                return new SmtpSink(process, folder, port);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw new InvalidOperationException("aiosmtpd did not listen within 20 s: " + errors);
            }

            process.Dispose();
        }

        throw new InvalidOperationException("aiosmtpd exited (is python3-aiosmtpd installed?): " + errors);
    }

    /// <summary>Every message received so far, raw (headers and MIME body).</summary>
    public IReadOnlyList<string> Messages()
    {
        var inbox = Path.Combine(_folder, "mail", "new");
        return Directory.Exists(inbox) ? [.. Directory.GetFiles(inbox).OrderBy(File.GetCreationTimeUtc).Select(File.ReadAllText)] : [];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
