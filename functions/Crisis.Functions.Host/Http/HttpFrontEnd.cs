using System.Net;
using Crisis.Functions.Host.Hosting;
using Crisis.Functions.Host.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Crisis.Functions.Host.Http;

/// <summary>
/// The public HTTP endpoint: function routes forward to the worker; anything else is a 404, a known route with
/// another method a 405, both as problem details.
/// </summary>
internal sealed class HttpFrontEnd : IAsyncDisposable
{
    // The Functions host's request body limit.
    private const long MaxRequestBodyBytes = 100L * 1024 * 1024;

    private readonly WebApplication app;
    private readonly HttpFunctionInvoker invoker;
    private readonly FunctionEndpointDataSource endpoints;

    private HttpFrontEnd(WebApplication app, HttpFunctionInvoker invoker, FunctionEndpointDataSource endpoints, Uri baseAddress)
    {
        this.app = app;
        this.invoker = invoker;
        this.endpoints = endpoints;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HttpFrontEnd> StartAsync(
        string host, int port, ReadinessGate gate, TimeSpan readyTimeout, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var binding = HttpBinding.Parse(host, port);
        var builder = WebServer.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            binding.Apply(kestrel);
        });
        builder.Services.AddRouting();
        builder.Services.AddProblemDetails();
        builder.Services.AddHttpForwarder();

        var app = builder.Build();
        var logger = loggerFactory.CreateLogger("Crisis.Functions.Host.Http");
        var invoker = new HttpFunctionInvoker(gate, readyTimeout, app.Services.GetRequiredService<IHttpForwarder>(), logger);
        var endpoints = new FunctionEndpointDataSource(invoker.InvokeAsync, logger);

        app.UseStatusCodePages();
        app.UseRouting();
        ((IEndpointRouteBuilder)app).DataSources.Add(endpoints);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            invoker.Dispose();
            endpoints.Dispose();
            await app.DisposeAsync();
            throw new LocalHostException($"Cannot listen on {binding.Display}:{port}: {ex.Message}", ex);
        }

        var bound = WebServer.BoundAddress(app);
        return new HttpFrontEnd(app, invoker, endpoints, new Uri($"http://{binding.Display}:{bound.Port}/"));
    }

    public void Serve(IEnumerable<HostedFunction> functions) => endpoints.Update(functions);

    public async ValueTask DisposeAsync()
    {
        await WebServer.StopAsync(app);
        invoker.Dispose();
        endpoints.Dispose();
    }

    /// <summary>What HttpHost asks Kestrel to bind, and the host name clients should use.</summary>
    private sealed record HttpBinding(Action<KestrelServerOptions> Apply, string Display)
    {
        public static HttpBinding Parse(string host, int port)
        {
            if (port is < 0 or > IPEndPoint.MaxPort)
            {
                throw new LocalHostException($"HTTP port {port} is out of range.");
            }

            if (host is "*" or "+")
            {
                return new HttpBinding(kestrel => kestrel.ListenAnyIP(port), "localhost");
            }

            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                // Kestrel cannot pick a free port for "localhost" (two sockets); port 0 binds IPv4 loopback only.
                return port == 0
                    ? new HttpBinding(kestrel => kestrel.Listen(IPAddress.Loopback, 0), "127.0.0.1")
                    : new HttpBinding(kestrel => kestrel.ListenLocalhost(port), "localhost");
            }

            if (IPAddress.TryParse(host, out var address))
            {
                var display = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
                    ? "localhost"
                    : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
                return new HttpBinding(kestrel => kestrel.Listen(address, port), display);
            }

            throw new LocalHostException($"HTTP host '{host}' is not supported: use localhost, an IP address or *.");
        }
    }
}
