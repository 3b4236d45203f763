using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
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
        foreach (var folder in FunctionCatalog.FromFolder(RepositoryPaths.Functions).Keys)
        {
            data.Add(folder);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionFolders))]
    public void Every_function_json_matches_the_documented_binding_schema(string function) =>
        Assert.Empty(FunctionJsonSchema.Validate(FunctionCatalog.FromFolder(RepositoryPaths.Functions)[function]));

    [Fact]
    public void The_function_folders_match_every_route_and_timer_of_the_app_and_nothing_else() =>
        FunctionCatalog.AssertMatchesApp(FunctionCatalog.FromFolder(RepositoryPaths.Functions), _app.Services);

    [Fact]
    public void Every_schedule_setting_has_a_local_default_that_parses_as_six_field_ncrontab()
    {
        var configuration = _app.Services.GetRequiredService<IConfiguration>();
        foreach (var timer in _app.Services.GetServices<ITimerFunction>())
        {
            Assert.NotNull(TimerFunctionEndpoints.ParseSchedule(configuration[timer.ScheduleSetting], timer.ScheduleSetting));
        }

        Assert.Throws<InvalidOperationException>(() => TimerFunctionEndpoints.ParseSchedule("*/5 * * * *", "FIVE_FIELDS"));
    }
}
