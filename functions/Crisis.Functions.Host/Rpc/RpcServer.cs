using System.Net;
using Crisis.Functions.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Rpc;

/// <summary>The gRPC endpoint the worker dials: loopback, a free port, cleartext HTTP/2 only (the worker's channel is insecure).</summary>
internal sealed class RpcServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private RpcServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    /// <summary>e.g. http://127.0.0.1:PORT/, the value of --functions-uri.</summary>
    public Uri Address { get; }

    public static async Task<RpcServer> StartAsync(FunctionRpcService service, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebServer.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(service);

        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        await app.StartAsync(cancellationToken);

        var bound = WebServer.BoundAddress(app);
        return new RpcServer(app, new Uri($"http://127.0.0.1:{bound.Port}/"));
    }

    public ValueTask DisposeAsync() => new(WebServer.StopAsync(app));
}
