using Crisis.Functions.Host.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>A small real HTTP server on a free loopback port, for the stand-ins of external services.</summary>
public static class LoopbackApp
{
    /// <summary>Builds the app on a free port; the caller maps its routes, then starts it.</summary>
    public static (WebApplication App, int Port) Create()
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        return (builder.Build(), port);
    }

    /// <summary>
    /// Runs <paramref name="start"/> (which builds with <see cref="Create"/> and starts) until it binds: a port found
    /// free can be taken by another listener first, such as an Azurite a test starts again on its own ports.
    /// </summary>
    public static async Task<T> StartWithRetriesAsync<T>(Func<Task<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 5)
            {
                // Taken meanwhile: the next attempt picks another port.
            }
        }
    }
}
