using System.Net;
using System.Net.Http.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;

namespace Crisis.Functions.Tests.Touchpoints;

public class TouchpointTests : IAsyncLifetime
{
    private ReminderFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await ReminderFixture.StartAsync(new Dictionary<string, string?> { ["Expiry:GracePeriod"] = "02:00:00" });
        await (await _f.Admin.PutAsJsonAsync("/api/admin/touchpoints/email-footer", new
        {
            kind = "email-footer",
            name = "Email footer",
            defaultLanguage = "en",
            normal = new { en = "Questions? Visit our help centre.", fa = "سؤالی دارید؟ به مرکز راهنما سر بزنید." },
        })).ReadJsonAsync();
    }

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    private async Task<string> CurrentTextAsync(string lang = "en") =>
        (await (await _f.Client.GetAsync($"/api/touchpoints/email-footer?lang={lang}")).ReadJsonAsync()).GetProperty("text").GetString()!;

    private async Task OverrideAsync(string crisisId, string text) =>
        await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisisId}/touchpoints/email-footer", new { text = new { en = text } })).ReadJsonAsync();

    private Task<Host.TimerRun> RunExpiryAsync(HttpClient? client = null) =>
        (client ?? _f.Client).RunTimerAsync("CrisisExpiry");

    [Fact]
    public async Task An_override_is_current_while_its_crisis_is_active_and_normal_content_otherwise()
    {
        var draft = await CrisisFixtures.CreateAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        await OverrideAsync(draft, "Flooding: see our crisis page.");
        Assert.Equal("Questions? Visit our help centre.", await CurrentTextAsync());

        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{draft}/activate");
        var current = await (await _f.Client.GetAsync("/api/touchpoints/email-footer?lang=fa")).ReadJsonAsync();
        Assert.Equal("Flooding: see our crisis page.", current.GetProperty("text").GetString());
        Assert.Equal("crisis-override", current.GetProperty("source").GetString());
        Assert.Equal(draft, current.GetProperty("crisisId").GetString());
    }

    [Fact]
    public async Task With_two_active_crises_the_more_severe_then_the_more_recent_wins()
    {
        var minor = CrisisFixtures.NewCrisis("en");
        minor["severity"] = "minor";
        var first = await CrisisFixtures.CreateActiveAsync(_f.Admin, minor);
        await OverrideAsync(first, "Minor issue.");
        var critical = CrisisFixtures.NewCrisis("en");
        critical["severity"] = "critical";
        var second = await CrisisFixtures.CreateActiveAsync(_f.Admin, critical);
        await OverrideAsync(second, "Critical outage.");
        _f.Clock.Advance(TimeSpan.FromMinutes(5));
        var third = await CrisisFixtures.CreateActiveAsync(_f.Admin, minor);
        await OverrideAsync(third, "Newer minor issue.");

        Assert.Equal("Critical outage.", await CurrentTextAsync());
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{second}/end");
        Assert.Equal("Newer minor issue.", await CurrentTextAsync());
    }

    [Fact]
    public async Task After_the_grace_period_the_expiry_timer_restores_touchpoints_and_archives_the_crisis_once()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        await OverrideAsync(crisis, "Crisis footer.");
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/end");

        _f.Clock.Advance(TimeSpan.FromHours(1));
        Assert.True((await RunExpiryAsync()).Succeeded);
        Assert.Equal("ended", (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}")).ReadJsonAsync()).GetProperty("status").GetString());

        _f.Clock.Advance(TimeSpan.FromHours(1.5));
        await using var second = new CrisisAppFactory((await TestAzurite.GetAsync()).ConnectionString, new Dictionary<string, string?> { ["Storage:NamePrefix"] = _f.App.NamePrefix, ["Expiry:GracePeriod"] = "02:00:00" }, _f.Clock);
        using var secondClient = second.CreateClient();
        var runs = await Task.WhenAll(RunExpiryAsync(), RunExpiryAsync(secondClient), RunExpiryAsync());
        Assert.All(runs, r => Assert.True(r.Succeeded, r.ErrorMessage));
        await RunExpiryAsync();

        Assert.Equal("archived", (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}")).ReadJsonAsync()).GetProperty("status").GetString());
        Assert.Equal("Questions? Visit our help centre.", await CurrentTextAsync());
        await (await _f.Client.GetAsync($"/api/crises/{crisis}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        var actions = await CrisisFixtures.AuditActionsAsync(_f.Admin, crisis);
        Assert.Single(actions, a => a == "crisis.archive");
        Assert.Single(actions, a => a == "touchpoint.restore");
        var detail = await (await _f.Admin.GetAsync("/api/admin/touchpoints/email-footer")).ReadJsonAsync();
        Assert.Equal("expiry-timer", detail.GetProperty("overrides")[0].GetProperty("restoredBy").GetString());
    }

    [Fact]
    public async Task Admins_preview_restore_and_undo_a_restore()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        await OverrideAsync(crisis, "Crisis footer.");

        var preview = await (await _f.Admin.GetAsync("/api/admin/touchpoints/email-footer/preview")).ReadJsonAsync();
        Assert.Equal("Crisis footer.", preview.GetProperty("current").GetProperty("text").GetString());
        Assert.Equal("Questions? Visit our help centre.", preview.GetProperty("afterRestore").GetProperty("text").GetString());

        Assert.Equal(1, (await (await _f.Admin.PostAsync("/api/admin/touchpoints/email-footer/restore", null)).ReadJsonAsync()).GetProperty("changed").GetInt32());
        Assert.Equal("Questions? Visit our help centre.", await CurrentTextAsync());
        Assert.Equal(0, (await (await _f.Admin.PostAsync("/api/admin/touchpoints/restore", null)).ReadJsonAsync()).GetProperty("changed").GetInt32());

        Assert.Equal(1, (await (await _f.Admin.PostAsync("/api/admin/touchpoints/email-footer/undo-restore", null)).ReadJsonAsync()).GetProperty("changed").GetInt32());
        Assert.Equal("Crisis footer.", await CurrentTextAsync());
        Assert.Equal(1, (await (await _f.Admin.PostAsync("/api/admin/touchpoints/restore", null)).ReadJsonAsync()).GetProperty("changed").GetInt32());

        // The test clock stands still, so these entries share one timestamp: count them rather than order them.
        var actions = await CrisisFixtures.AuditActionsAsync(_f.Admin, crisis);
        Assert.Equal(2, actions.Count(a => a == "touchpoint.restore"));
        Assert.Single(actions, a => a == "touchpoint.undo-restore");
        Assert.Single(actions, a => a == "touchpoint.override");
    }

    [Fact]
    public async Task Every_save_of_normal_content_is_kept_and_the_current_read_is_cache_friendly()
    {
        await _f.Admin.PutAsJsonAsync("/api/admin/touchpoints/email-footer", new { kind = "email-footer", name = "Email footer", defaultLanguage = "en", normal = new { en = "Help: example.org/help" } });
        var detail = await (await _f.Admin.GetAsync("/api/admin/touchpoints/email-footer")).ReadJsonAsync();
        Assert.Equal([1, 2], detail.GetProperty("normalVersions").EnumerateArray().Select(v => v.GetInt32()));

        var first = await _f.Client.GetAsync("/api/touchpoints/email-footer");
        var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/touchpoints/email-footer");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await _f.Client.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task Bad_touchpoint_input_is_refused()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        await (await _f.Client.GetAsync("/api/touchpoints/no-such")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _f.Client.GetAsync("/api/touchpoints/Bad_Id")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        await (await _f.Client.GetAsync("/api/touchpoints/email-footer?lang=en_GB")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await (await _f.Admin.PutAsJsonAsync("/api/admin/touchpoints/banner", new { kind = "website-banner", name = "Banner", defaultLanguage = "en", normal = new { fa = "only Persian" } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        await (await _f.Admin.PutAsJsonAsync("/api/admin/touchpoints/banner", new { kind = "hologram", name = "Banner", defaultLanguage = "en", normal = new { en = "x" } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/no-such", new { text = new { en = "x" } })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/email-footer", new { text = new { de = "x" } })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.Equal("Questions? Visit our help centre.", await CurrentTextAsync());
    }
}
