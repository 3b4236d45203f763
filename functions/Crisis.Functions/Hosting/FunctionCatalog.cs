using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Hosting;

/// <summary>An HTTP function as declared by its <c>[Function]</c> method: route (below the route prefix), methods, key level, access and, for writes, what body it reads.</summary>
public sealed record HttpFunction(string Name, MethodInfo Method, string Route, IReadOnlyList<string> Methods, AuthorizationLevel AuthLevel, string? Policy, string? RateLimitPolicy, bool IsLinkPage,
    RequestBodyAttribute? Body = null)
{
    /// <summary>A page's form (<see cref="PageFormAttribute"/>) or a page that answers only HTML: what refuses it before it runs says so with a page.</summary>
    public bool IsPage { get; } = Body is PageFormAttribute || Method.GetCustomAttributes<ProducesResponseTypeAttribute>().Any(DeclaresHtml);

    /// <summary>
    /// Whether a refusal made before the function runs (the rate limit) is answered with a page: always for pages and
    /// their forms; for link pages when the request asks for HTML, as a browser does (API clients get problem+json there).
    /// </summary>
    public bool AnswersWithPage(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return IsPage || (IsLinkPage && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase));
    }

    private static bool DeclaresHtml(ProducesResponseTypeAttribute response)
    {
        var types = new MediaTypeCollection();
        ((IApiResponseMetadataProvider)response).SetContentTypes(types);
        return response.StatusCode == 200 && types.Any(t => t.StartsWith("text/html", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The methods that send a request body, so whose functions must say (with a <see cref="RequestBodyAttribute"/>) what they read.</summary>
    public static readonly IReadOnlySet<string> WriteMethods = new HashSet<string>(["POST", "PUT", "PATCH"], StringComparer.Ordinal);
}

/// <summary>A timer function as declared by its <c>[Function]</c> method, with its schedule expression (e.g. <c>%REMINDER_SCHEDULE%</c>).</summary>
public sealed record TimerFunction(string Name, MethodInfo Method, string Schedule);

/// <summary>
/// The app's functions, read once from the <c>[Function]</c> methods of this assembly (the same declarations the
/// Worker SDK turns into functions.metadata), so that middleware, the OpenAPI document and tests share one list.
/// </summary>
public static class FunctionCatalog
{
    private static readonly Lazy<(IReadOnlyDictionary<string, HttpFunction> Http, IReadOnlyDictionary<string, TimerFunction> Timers)> Functions = new(Scan);

    public static IReadOnlyDictionary<string, HttpFunction> Http => Functions.Value.Http;

    public static IReadOnlyDictionary<string, TimerFunction> Timers => Functions.Value.Timers;

    private static (IReadOnlyDictionary<string, HttpFunction>, IReadOnlyDictionary<string, TimerFunction>) Scan()
    {
        var http = new Dictionary<string, HttpFunction>(StringComparer.Ordinal);
        var timers = new Dictionary<string, TimerFunction>(StringComparer.Ordinal);
        foreach (var type in typeof(FunctionCatalog).Assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }

                foreach (var parameter in method.GetParameters())
                {
                    if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } trigger)
                    {
                        var policy = method.GetCustomAttribute<RequiresPolicyAttribute>() ?? type.GetCustomAttribute<RequiresPolicyAttribute>();
                        var open = method.GetCustomAttribute<PublicAttribute>() ?? type.GetCustomAttribute<PublicAttribute>();
                        if ((policy is null) == (open is null))
                        {
                            throw new InvalidOperationException($"Function {function.Name} must be marked either [RequiresPolicy] or [Public].");
                        }

                        var methods = (trigger.Methods ?? []).Select(m => m.ToUpperInvariant()).ToList();
                        var body = method.GetCustomAttribute<RequestBodyAttribute>();
                        if (methods.Any(HttpFunction.WriteMethods.Contains) && body is null)
                        {
                            throw new InvalidOperationException($"Function {function.Name} must say what body it reads: [JsonBody], [FormBody] or [NoBody].");
                        }

                        http.Add(function.Name, new HttpFunction(
                            function.Name,
                            method,
                            trigger.Route ?? function.Name,
                            methods,
                            trigger.AuthLevel,
                            policy?.Policy,
                            open?.RateLimitPolicy,
                            method.GetCustomAttribute<LinkPageAttribute>() is not null,
                            body));
                    }
                    else if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer)
                    {
                        timers.Add(function.Name, new TimerFunction(function.Name, method, timer.Schedule));
                    }
                }
            }
        }

        return (http, timers);
    }
}
