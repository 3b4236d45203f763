using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The route table is the source of truth; the function folders must match it exactly, and the schema.</summary>
public class FunctionDefinitionTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;

    public async Task InitializeAsync() => _app = await CrisisAppFactory.CreateAsync();

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    public static TheoryData<string> FunctionFolders()
    {
        var data = new TheoryData<string>();
        foreach (var folder in FunctionJsonFiles().Keys)
        {
            data.Add(folder);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionFolders))]
    public void Every_function_json_matches_the_documented_binding_schema(string function)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(FunctionJsonFiles()[function]));
        Assert.Empty(FunctionJsonSchema.Validate(document.RootElement));
    }

    [Fact]
    public void Every_api_route_has_a_function_json_that_matches_it()
    {
        var files = FunctionJsonFiles();
        var apiEndpoints = Endpoints().Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith(FunctionEndpointExtensions.RoutePrefix + "/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(apiEndpoints);

        foreach (var endpoint in apiEndpoints)
        {
            var metadata = endpoint.Metadata.GetMetadata<HttpFunctionMetadata>();
            Assert.True(metadata is not null, $"{endpoint.RoutePattern.RawText} is not declared as a function (AsFunction)");
            Assert.True(files.ContainsKey(metadata.Name), $"{endpoint.RoutePattern.RawText} has no functions/{metadata.Name}/function.json");

            var trigger = Binding(files[metadata.Name], "httpTrigger");
            var route = endpoint.RoutePattern.RawText!.Trim('/')[(FunctionEndpointExtensions.RoutePrefix.Length + 1)..];
            Assert.Equal(route, trigger.GetProperty("route").GetString());
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order();
            Assert.Equal(methods, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).Order());
            Assert.Equal(metadata.AuthLevel.ToString().ToLowerInvariant(), trigger.GetProperty("authLevel").GetString());
        }
    }

    [Fact]
    public void Every_timer_function_has_a_function_json_with_its_schedule_setting()
    {
        var files = FunctionJsonFiles();
        var timers = _app.Services.GetServices<ITimerFunction>().ToList();
        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            Assert.True(files.ContainsKey(timer.Name), $"timer {timer.Name} has no functions/{timer.Name}/function.json");
            var trigger = Binding(files[timer.Name], "timerTrigger");
            Assert.Equal(TimerFunctionEndpoints.BindingName, trigger.GetProperty("name").GetString());
            Assert.Equal($"%{timer.ScheduleSetting}%", trigger.GetProperty("schedule").GetString());
            Assert.Contains(Endpoints(), e => e.RoutePattern.RawText == "/" + timer.Name && e.Metadata.GetMetadata<ITimerFunction>() == timer);
        }
    }

    [Fact]
    public void Every_function_json_points_at_a_route_or_a_timer()
    {
        var httpFunctions = Endpoints().Select(e => e.Metadata.GetMetadata<HttpFunctionMetadata>()?.Name).OfType<string>();
        var timers = _app.Services.GetServices<ITimerFunction>().Select(t => t.Name);
        var known = httpFunctions.Concat(timers).ToHashSet();

        foreach (var function in FunctionJsonFiles().Keys)
        {
            Assert.True(known.Contains(function), $"functions/{function}/function.json points at nothing in the app");
        }
    }

    [Fact]
    public void Every_schedule_setting_has_a_local_default_that_parses_as_six_field_ncrontab()
    {
        var configuration = _app.Services.GetRequiredService<IConfiguration>();
        foreach (var timer in _app.Services.GetServices<ITimerFunction>())
        {
            var schedule = TimerFunctionEndpoints.ParseSchedule(configuration[timer.ScheduleSetting], timer.ScheduleSetting);
            Assert.NotNull(schedule);
        }

        Assert.Throws<InvalidOperationException>(() => TimerFunctionEndpoints.ParseSchedule("*/5 * * * *", "FIVE_FIELDS"));
    }

    private List<RouteEndpoint> Endpoints() =>
        _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    private static JsonElement Binding(string path, string type)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == type).Clone();
    }

    private static Dictionary<string, string> FunctionJsonFiles() =>
        Directory.GetDirectories(RepositoryPaths.Functions)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .ToDictionary(d => Path.GetFileName(d), d => Path.Combine(d, "function.json"));
}
