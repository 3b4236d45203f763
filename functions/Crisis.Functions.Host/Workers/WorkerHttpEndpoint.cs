using System.Net.Sockets;

namespace Crisis.Functions.Host.Workers;

/// <summary>Probes the worker's own HTTP endpoint (its HttpUri) for whether it accepts connections.</summary>
internal static class WorkerHttpEndpoint
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The worker reports its functions loaded before its Kestrel necessarily listens; a request forwarded in
    /// between would be refused while its invocation waits in the worker.
    /// </summary>
    public static async Task WaitUntilListeningAsync(Uri httpUri, CancellationToken cancellationToken)
    {
        while (!await AcceptsAsync(httpUri, cancellationToken))
        {
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    /// <summary>A worker running inside another process keeps its stream open after it stops; its endpoint closing tells it has.</summary>
    public static async Task WaitUntilClosedAsync(Uri httpUri, CancellationToken cancellationToken)
    {
        while (await AcceptsAsync(httpUri, cancellationToken))
        {
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    private static async Task<bool> AcceptsAsync(Uri httpUri, CancellationToken cancellationToken)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync(httpUri.Host, httpUri.Port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
