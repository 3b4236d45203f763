using System.Net;
using System.Net.Sockets;

namespace Crisis.Functions.Host.Local;

public static class LoopbackPorts
{
    /// <summary>A loopback port free right now (someone may still take it before it is used).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
