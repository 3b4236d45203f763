using Crisis.Functions.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;
using Microsoft.OpenApi;

namespace Crisis.Functions.Hosting;

public static class FunctionsOpenApi
{
    /// <summary>The route prefix of every HTTP function (host.json <c>extensions.http.routePrefix</c>).</summary>
    public const string RoutePrefix = "api";

    public const string DocumentName = "v1";

    public static IServiceCollection AddFunctionsOpenApi(this IServiceCollection services) => services.AddSingleton<OpenApiDocuments>();
}

/// <summary>
/// The OpenAPI document of the HTTP functions, made by Microsoft.AspNetCore.OpenApi. That library documents
/// ASP.NET Core endpoints, so each function is described to it as an endpoint that is never served: its route
/// and methods from the trigger, its parameters and typed results inferred from the function method as ASP.NET Core
/// infers a handler's, its tags and summary from attributes, and the problems its access rules can answer.
/// Built once, on first request.
/// </summary>
public sealed class OpenApiDocuments
{
    private readonly Lazy<Task<string>> _json = new(BuildAsync);

    public Task<string> JsonAsync() => _json.Value;

    private static async Task<string> BuildAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.ConfigureHttpJsonOptions(o => JsonBody.Configure(o.SerializerOptions));
        builder.Services.AddOpenApi(FunctionsOpenApi.DocumentName, o => o.AddOperationTransformer((operation, context, _) =>
        {
            foreach (var query in context.Description.ActionDescriptor.EndpointMetadata.OfType<QueryParameterAttribute>())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = query.Name,
                    In = ParameterLocation.Query,
                    Description = query.Description,
                    Schema = new OpenApiSchema { Type = query.IsInteger ? JsonSchemaType.Integer : JsonSchemaType.String },
                });
            }

            return Task.CompletedTask;
        }));

        // The API explorer reads the endpoints from the container's EndpointDataSource: here, only the descriptions.
        builder.Services.AddSingleton<EndpointDataSource>(sp => new FunctionDescriptions(sp));
        await using var app = builder.Build();
        var document = await app.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>(FunctionsOpenApi.DocumentName).GetOpenApiDocumentAsync();
        return await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1);
    }

    private sealed class FunctionDescriptions(IServiceProvider services) : EndpointDataSource
    {
        private readonly Lazy<IReadOnlyList<Endpoint>> _endpoints = new(() =>
            [.. FunctionCatalog.Http.Values.OrderBy(f => f.Route, StringComparer.Ordinal).Select(f => Describe(f, services))]);

        public override IReadOnlyList<Endpoint> Endpoints => _endpoints.Value;

        public override Microsoft.Extensions.Primitives.IChangeToken GetChangeToken() => Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;

        private static RouteEndpoint Describe(HttpFunction function, IServiceProvider services)
        {
            var pattern = RoutePatternFactory.Parse($"/{FunctionsOpenApi.RoutePrefix}/{function.Route}");
            var endpoint = new RouteEndpointBuilder(_ => Task.CompletedTask, pattern, 0) { DisplayName = function.Name, ApplicationServices = services };
            endpoint.Metadata.Add(function.Method);
            endpoint.Metadata.Add(new HttpMethodMetadata(function.Methods));
            endpoint.Metadata.Add(new EndpointNameMetadata(function.Name));
            endpoint.Metadata.Add(new RouteNameMetadata(function.Name));
            foreach (var attribute in function.Method.DeclaringType!.GetCustomAttributes(inherit: true).Concat(function.Method.GetCustomAttributes(inherit: true)))
            {
                endpoint.Metadata.Add(attribute);
            }

            RequestDelegateFactory.InferMetadata(function.Method, new RequestDelegateFactoryOptions
            {
                ServiceProvider = services,
                RouteParameterNames = [.. pattern.Parameters.Select(p => p.Name)],
                EndpointBuilder = endpoint,
            });

            int[] problems = function.Policy is not null ? [401, 403, 503] : function.RateLimitPolicy is not null ? [429, 503] : [503];
            foreach (var status in problems)
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
            }

            return (RouteEndpoint)endpoint.Build();
        }
    }
}

/// <summary>The OpenAPI document of every HTTP function.</summary>
[Public]
public sealed class OpenApiFunctions(OpenApiDocuments documents)
{
    [Function("OpenApi")]
    [ExcludeFromDescription]
    public async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/{documentName}.json")] HttpRequest request, string documentName)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (documentName != FunctionsOpenApi.DocumentName)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is one OpenAPI document: {FunctionsOpenApi.DocumentName}.");
        }

        return TypedResults.Content(await documents.JsonAsync(), "application/json; charset=utf-8");
    }
}
