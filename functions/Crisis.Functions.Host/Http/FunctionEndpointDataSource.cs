using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Crisis.Functions.Host.Http;

/// <summary>
/// ASP.NET Core endpoints for the HTTP functions, built from their route templates and methods as the worker maps
/// them, so the host matches, 404s and 405s exactly where the worker would. Replaced whenever a worker is ready.
/// </summary>
internal sealed class FunctionEndpointDataSource(RequestDelegate invokeFunction, ILogger logger) : EndpointDataSource, IDisposable
{
    private readonly Lock sync = new();
    private IReadOnlyList<Endpoint> endpoints = [];
    private CancellationTokenSource changed = new();

    public override IReadOnlyList<Endpoint> Endpoints => endpoints;

    public override IChangeToken GetChangeToken()
    {
        lock (sync)
        {
            return new CancellationChangeToken(changed.Token);
        }
    }

    public void Update(IEnumerable<HostedFunction> functions)
    {
        var built = functions
            .Where(function => function.TriggerKind == FunctionTriggerKind.Http)
            .Select(Build)
            .OfType<Endpoint>()
            .ToList();

        CancellationTokenSource previous;
        lock (sync)
        {
            endpoints = built;
            previous = changed;
            changed = new CancellationTokenSource();
        }

        previous.Cancel();
        previous.Dispose();
    }

    public void Dispose()
    {
        lock (sync)
        {
            changed.Dispose();
        }
    }

    private RouteEndpoint? Build(HostedFunction function, int order)
    {
        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(function.Route!);
        }
        catch (RoutePatternException ex)
        {
            logger.LogError(ex, "Function {FunctionName} has route {Route}, which is not a valid route template; it is not served", function.Name, function.Route);
            return null;
        }

        var builder = new RouteEndpointBuilder(invokeFunction, pattern, order) { DisplayName = function.Name };
        builder.Metadata.Add(function);
        if (function.Methods.Count > 0)
        {
            builder.Metadata.Add(new HttpMethodMetadata(function.Methods));
        }

        return (RouteEndpoint)builder.Build();
    }
}
