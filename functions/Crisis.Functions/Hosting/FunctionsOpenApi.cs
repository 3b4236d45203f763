using System.Text.Json.Nodes;
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

    public const string ProblemContentType = "application/problem+json";

    public static IServiceCollection AddFunctionsOpenApi(this IServiceCollection services) => services.AddSingleton<OpenApiDocuments>();

    /// <summary>
    /// The problem statuses a function can answer, by rule from how it is declared, plus those its
    /// <see cref="RequestBodyAttribute"/> names: 503 everywhere (storage outage), 401/403 behind a policy, 429 when
    /// rate-limited, 400/404 with route values (a malformed or unknown id), 400/410 for signed links, 400/413/415
    /// with a body, 409 on admin and agent writes (an archived crisis, a transition not allowed now) and 412 with If-Match.
    /// </summary>
    public static IReadOnlySet<int> ProblemStatuses(HttpFunction function, bool hasRouteValues)
    {
        ArgumentNullException.ThrowIfNull(function);
        var statuses = new SortedSet<int> { 503 };
        var query = function.Method.GetCustomAttributes(typeof(QueryParameterAttribute), inherit: true).Length > 0;
        if (function.Policy is not null)
        {
            statuses.UnionWith([401, 403]);
            if (function.Methods.Any(m => m != "GET"))
            {
                statuses.Add(409);
            }
        }

        if (function.RateLimitPolicy is not null)
        {
            statuses.Add(429);
        }

        if (hasRouteValues)
        {
            statuses.UnionWith([400, 404]);
        }

        if (query)
        {
            statuses.Add(400);
        }

        if (function.IsLinkPage)
        {
            statuses.UnionWith([400, 410]);
        }

        if (function.Body is { } body)
        {
            if (body.HasBody)
            {
                statuses.UnionWith([400, 413, 415]);
            }

            if (body.IfMatch)
            {
                statuses.UnionWith([400, 409, 412]);
            }

            statuses.UnionWith(body.Problems);
        }

        return statuses;
    }
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
        builder.Services.AddOpenApi(FunctionsOpenApi.DocumentName, o => o.AddSchemaTransformer((schema, context, _) =>
        {
            // RFC 9457 problems may carry extension members (such as errors), so a client must not refuse unknown ones.
            if (typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
            {
                schema.AdditionalPropertiesAllowed = true;
                schema.AdditionalProperties = null;
            }

            // A patch field (set, null to clear, or absent) is its value's type or null on the wire.
            if (PatchValues.ValueType(context.JsonTypeInfo.Type) == typeof(DateTimeOffset))
            {
                schema.Type = JsonSchemaType.String | JsonSchemaType.Null;
                schema.Format = "date-time";
            }

            // A text per language: the limit of each text and of the number of languages, which no standard attribute can carry.
            if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(LocalisedTextAttribute), inherit: true) is [LocalisedTextAttribute localised, ..]
                && schema.AdditionalProperties is OpenApiSchema texts)
            {
                if (texts.Items is OpenApiSchema text)
                {
                    texts.MaxItems = localised.MaxItems;
                    text.MaxLength = localised.MaxLength;
                }
                else
                {
                    texts.MaxLength = localised.MaxLength;
                }

                if (localised.MaxLanguages > 0)
                {
                    schema.MaxProperties = localised.MaxLanguages;
                }
            }

            if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(ItemMaxLengthAttribute), inherit: true) is [ItemMaxLengthAttribute item, ..]
                && schema.Items is OpenApiSchema items)
            {
                items.MaxLength = item.MaxLength;
            }

            return Task.CompletedTask;
        }).AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<RequestBodyAttribute>().FirstOrDefault() is { } body)
            {
                Describe(operation, body);
            }

            foreach (var query in metadata.OfType<QueryParameterAttribute>())
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

    /// <summary>The parts of a request the API explorer cannot infer: the If-Match header and a form body.</summary>
    private static void Describe(OpenApiOperation operation, RequestBodyAttribute body)
    {
        if (body.IfMatch)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Description = "The ETag the resource was read with; a stale one answers 412 and changes nothing. Without it the change is unconditional.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        if (body is PageFormAttribute page)
        {
            operation.RequestBody = FormRequestBody(PageFormAttribute.GuardField,
                page.Fields.Prepend(PageFormAttribute.GuardField).ToDictionary(f => f, IOpenApiSchema (_) => new OpenApiSchema { Type = JsonSchemaType.String }));
        }

        if (body is FormBodyAttribute form)
        {
            operation.RequestBody = FormRequestBody(form.Field,
                new Dictionary<string, IOpenApiSchema> { [form.Field] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(form.Value)] } });
        }
    }

    /// <summary>A required urlencoded form body with <paramref name="properties"/>, of which <paramref name="required"/> must be sent.</summary>
    private static OpenApiRequestBody FormRequestBody(string required, Dictionary<string, IOpenApiSchema> properties) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [FormBodyAttribute.ContentType] = new()
            {
                Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Required = new HashSet<string> { required }, Properties = properties },
            },
        },
    };

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

            var declared = endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).ToHashSet();
            foreach (var status in FunctionsOpenApi.ProblemStatuses(function, pattern.Parameters.Count > 0).Where(declared.Add))
            {
                // A body that does not fit its request is answered with the errors per property path.
                var type = status == 400 && function.Body is JsonBodyAttribute ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, type, [FunctionsOpenApi.ProblemContentType]));
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
