using System.Text.Json;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>Checks a set of function.json documents (from the repository or a package) against the app's own route table.</summary>
public static class FunctionCatalog
{
    public static Dictionary<string, JsonElement> FromFolder(string root) =>
        Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .ToDictionary(d => Path.GetFileName(d), d => JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "function.json"))).RootElement.Clone());

    public static List<RouteEndpoint> Endpoints(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    /// <summary>Every /api route has its function.json (route, methods, auth level), every timer its schedule setting, and nothing else is there.</summary>
    public static void AssertMatchesApp(IReadOnlyDictionary<string, JsonElement> functions, IServiceProvider services)
    {
        var endpoints = Endpoints(services);
        var apiEndpoints = endpoints.Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith(FunctionEndpointExtensions.RoutePrefix + "/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(apiEndpoints);
        foreach (var endpoint in apiEndpoints)
        {
            var metadata = endpoint.Metadata.GetMetadata<HttpFunctionMetadata>();
            Assert.True(metadata is not null, $"{endpoint.RoutePattern.RawText} is not declared as a function (AsFunction)");
            Assert.True(functions.ContainsKey(metadata.Name), $"{endpoint.RoutePattern.RawText} has no {metadata.Name}/function.json");

            var trigger = Binding(functions[metadata.Name], "httpTrigger");
            var route = endpoint.RoutePattern.RawText!.Trim('/')[(FunctionEndpointExtensions.RoutePrefix.Length + 1)..];
            Assert.Equal(route, trigger.GetProperty("route").GetString());
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order();
            Assert.Equal(methods, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).Order());
            Assert.Equal(metadata.AuthLevel.ToString().ToLowerInvariant(), trigger.GetProperty("authLevel").GetString());
        }

        var timers = services.GetServices<ITimerFunction>().ToList();
        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            Assert.True(functions.ContainsKey(timer.Name), $"timer {timer.Name} has no {timer.Name}/function.json");
            var trigger = Binding(functions[timer.Name], "timerTrigger");
            Assert.Equal(TimerFunctionEndpoints.BindingName, trigger.GetProperty("name").GetString());
            Assert.Equal($"%{timer.ScheduleSetting}%", trigger.GetProperty("schedule").GetString());
            Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/" + timer.Name && e.Metadata.GetMetadata<ITimerFunction>() == timer);
        }

        var known = endpoints.Select(e => e.Metadata.GetMetadata<HttpFunctionMetadata>()?.Name).OfType<string>().Concat(timers.Select(t => t.Name)).ToHashSet();
        foreach (var function in functions.Keys)
        {
            Assert.True(known.Contains(function), $"{function}/function.json points at nothing in the app");
        }
    }

    private static JsonElement Binding(JsonElement document, string type) =>
        document.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == type);
}
