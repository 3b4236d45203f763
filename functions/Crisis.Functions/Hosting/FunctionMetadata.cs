namespace Crisis.Functions.Hosting;

/// <summary>The Functions host's key check on an HTTP function (function.json <c>authLevel</c>).</summary>
public enum FunctionAuthLevel
{
    /// <summary>Public: no function key.</summary>
    Anonymous,

    /// <summary>Needs a function or host key in Azure, on top of the app's own credential check.</summary>
    Function,
}

/// <summary>Marks an endpoint as the HTTP function <paramref name="Name"/>, whose function.json lives in functions/<paramref name="Name"/>/.</summary>
public sealed record HttpFunctionMetadata(string Name, FunctionAuthLevel AuthLevel);

public static class FunctionEndpointExtensions
{
    /// <summary>The host forwards <c>/api/{route}</c> unchanged (extensions.http.routePrefix in host.json).</summary>
    public const string RoutePrefix = "api";

    /// <summary>Declares this endpoint an Azure Functions HTTP function: the route table is the source of truth for function.json.</summary>
    public static TBuilder AsFunction<TBuilder>(this TBuilder builder, string name, FunctionAuthLevel authLevel)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithName(name);
        builder.WithMetadata(new HttpFunctionMetadata(name, authLevel));
        return builder;
    }
}
