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
        var port = LoopbackPorts.Free();
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(folder, "mail") })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the SMTP sink.");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            Assert.False(process.HasExited, "aiosmtpd exited (is python3-aiosmtpd installed?): " + errors);
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return new SmtpSink(process, folder, port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new InvalidOperationException("The SMTP sink did not listen.");
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
