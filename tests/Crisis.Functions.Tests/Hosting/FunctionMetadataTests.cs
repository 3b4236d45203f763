using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using NCrontab;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>
/// The function metadata the Worker SDK generates from the [Function] methods is what Azure loads: it must list
/// every function with its route, methods, key level and schedule, and the local host must serve exactly that.
/// </summary>
public class FunctionMetadataTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;

    public async Task InitializeAsync() => _app = await CrisisAppFactory.CreateAsync();

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    private static Dictionary<string, JsonElement> GeneratedMetadata()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.AppOutput, "functions.metadata")));
        return document.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.Clone(), StringComparer.Ordinal);
    }

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void The_generated_metadata_lists_every_http_function_with_its_route_methods_and_key_level()
    {
        var metadata = GeneratedMetadata();

        Assert.Equal(FunctionCatalog.Http.Keys.Concat(FunctionCatalog.Timers.Keys).Order(StringComparer.Ordinal), metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var function in FunctionCatalog.Http.Values)
        {
            var trigger = Trigger(metadata[function.Name]);
            Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
            Assert.Equal(function.Route, trigger.GetProperty("route").GetString());
            Assert.Equal(function.Methods, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()));
            Assert.Equal(function.AuthLevel.ToString(), trigger.GetProperty("authLevel").GetString());
            Assert.Equal(function.Policy is null ? "Anonymous" : "Function", trigger.GetProperty("authLevel").GetString());
        }
    }

    [Fact]
    public void Every_timer_has_a_schedule_setting_whose_default_parses_as_six_field_ncrontab()
    {
        var metadata = GeneratedMetadata();
        var settings = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryPaths.AppProject, "appsettings.json")).Build();

        Assert.Equal(["CrisisExpiry", "Heartbeat", "Notifications", "Reminders"], FunctionCatalog.Timers.Keys.Order(StringComparer.Ordinal));
        foreach (var timer in FunctionCatalog.Timers.Values)
        {
            var schedule = Trigger(metadata[timer.Name]).GetProperty("schedule").GetString()!;
            Assert.Equal(timer.Schedule, schedule);
            Assert.Matches("^%[A-Z_]+%$", schedule);
            var expression = settings[schedule.Trim('%')];
            Assert.NotNull(CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true }));
        }
    }

    [Fact]
    public void The_local_host_serves_exactly_the_functions_of_the_generated_metadata()
    {
        var metadata = GeneratedMetadata();
        var served = _app.Host.Functions;

        Assert.Equal(metadata.Keys.Order(StringComparer.Ordinal), served.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var function in served)
        {
            var trigger = Trigger(metadata[function.Name]);
            if (function.TriggerKind == Host.FunctionTriggerKind.Http)
            {
                Assert.Equal("api/" + trigger.GetProperty("route").GetString(), function.Route);
                Assert.Equal(trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()), function.Methods);
            }
            else
            {
                Assert.Equal(trigger.GetProperty("schedule").GetString(), function.Schedule);
            }
        }
    }
}
