using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;

namespace Crisis.Functions.Tests.Crises;

/// <summary>The page's "next update expected at" is a public promise: only an admin, or a stakeholder allowed to publish, sets it.</summary>
public class PublicPromiseTests(ReminderApp shared) : IClassFixture<ReminderApp>
{
    private readonly ReminderFixture _f = shared.F;

    private async Task<string> CrisisAsync() => await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"));

    private async Task<JsonElement> PromiseOnPageAsync(string id) =>
        (await (await _f.Client.GetAsync($"/api/crises/{id}")).ReadJsonAsync()).GetProperty("nextUpdateExpectedAt");

    private async Task PublishAsync(string id, object update) =>
        await (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", update)).ReadJsonAsync();

    private async Task<string> RemindedTokenAsync(string crisisId, string name, bool canPublish)
    {
        var owner = await _f.AddStakeholderAsync(name, "expert", canPublish);
        await _f.ExpectAsync(owner, TimeSpan.Zero, crisisId: crisisId);
        await _f.RunTimerAsync();
        return ReminderFixture.ActionToken(_f.DeliveredTo(name).Single());
    }

    [Fact]
    public async Task An_update_published_without_a_promise_keeps_the_promise_made_before()
    {
        var id = await CrisisAsync();
        var promise = _f.Clock.Now.AddHours(2);
        await PublishAsync(id, new { text = new { en = "Crews are on site." }, nextUpdateExpectedAt = promise, publish = true });

        await PublishAsync(id, new { text = new { en = "Power is back in the north." }, publish = true });

        Assert.Equal(promise, (await PromiseOnPageAsync(id)).GetDateTimeOffset());
    }

    [Fact]
    public async Task A_stakeholders_new_eta_stays_internal_and_the_public_promise_holds()
    {
        var id = await CrisisAsync();
        var promise = _f.Clock.Now.AddHours(2);
        await PublishAsync(id, new { text = new { en = "Crews are on site." }, nextUpdateExpectedAt = promise, publish = true });
        var token = await RemindedTokenAsync(id, "promise-ack", canPublish: false);

        var ack = await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token, newEta = _f.Clock.Now.AddHours(5) });

        Assert.Equal("acknowledged", (await ack.ReadJsonAsync()).GetProperty("status").GetString());
        Assert.Equal(promise, (await PromiseOnPageAsync(id)).GetDateTimeOffset());
    }

    [Fact]
    public async Task Owed_updates_do_not_make_a_public_promise_by_themselves()
    {
        var id = await CrisisAsync();
        var owner = await _f.AddStakeholderAsync("promise-owed", "expert");

        await _f.ExpectAsync(owner, TimeSpan.FromMinutes(45), crisisId: id);

        Assert.Equal(JsonValueKind.Null, (await PromiseOnPageAsync(id)).ValueKind);
    }

    [Fact]
    public async Task An_admin_sets_and_withdraws_the_promise_by_editing_the_crisis()
    {
        var id = await CrisisAsync();
        var promise = _f.Clock.Now.AddHours(3);

        var set = await _f.Admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { nextUpdateExpectedAt = promise });
        Assert.Equal(promise, (await set.ReadJsonAsync()).GetProperty("nextUpdateExpectedAt").GetDateTimeOffset());
        Assert.Equal(promise, (await PromiseOnPageAsync(id)).GetDateTimeOffset());

        await (await _f.Admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { severity = "critical" })).ReadJsonAsync();
        Assert.Equal(promise, (await PromiseOnPageAsync(id)).GetDateTimeOffset());

        var withdrawn = await _f.Admin.PatchAsync($"/api/admin/crises/{id}", new StringContent("""{"nextUpdateExpectedAt":null}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(JsonValueKind.Null, (await withdrawn.ReadJsonAsync()).GetProperty("nextUpdateExpectedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await PromiseOnPageAsync(id)).ValueKind);
    }

    [Fact]
    public async Task A_promise_in_the_past_is_refused_naming_the_field_and_changes_nothing()
    {
        var id = await CrisisAsync();

        var edit = await _f.Admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { nextUpdateExpectedAt = _f.Clock.Now.AddMinutes(-5) });
        var update = await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new { text = new { en = "x" }, nextUpdateExpectedAt = _f.Clock.Now.AddDays(40), publish = true });

        foreach (var response in new[] { edit, update })
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
            Assert.Contains("in the future", problem.GetProperty("errors").GetProperty("nextUpdateExpectedAt")[0].GetString(), StringComparison.Ordinal);
        }

        var page = await (await _f.Client.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextUpdateExpectedAt").ValueKind);
        Assert.Empty(page.GetProperty("updates").EnumerateArray());
    }

    [Fact]
    public async Task Only_a_stakeholder_allowed_to_publish_may_promise_the_next_update()
    {
        var id = await CrisisAsync();
        var drafter = await RemindedTokenAsync(id, "promise-drafter", canPublish: false);
        var publisher = await RemindedTokenAsync(id, "promise-publisher", canPublish: true);
        var promise = _f.Clock.Now.AddHours(4);

        var refused = await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update", new { token = drafter, text = new { en = "Depot reopens at noon." }, nextUpdateExpectedAt = promise });
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("nextUpdateExpectedAt", out _), problem.ToString());
        var updates = await (await _f.Admin.GetAsync($"/api/admin/crises/{id}/updates")).ReadJsonAsync();
        Assert.Empty(updates.GetProperty("updates").EnumerateArray());

        var posted = await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update", new { token = publisher, text = new { en = "Carriers resume tomorrow." }, nextUpdateExpectedAt = promise });
        Assert.True((await posted.ReadJsonAsync()).GetProperty("published").GetBoolean());
        Assert.Equal(promise, (await PromiseOnPageAsync(id)).GetDateTimeOffset());
    }

    [Fact]
    public async Task A_stakeholder_update_without_a_promise_does_not_publish_the_reminder_schedule()
    {
        var id = await CrisisAsync();
        var owner = await _f.AddStakeholderAsync("promise-cadence", "expert", canPublish: true);
        await _f.ExpectAsync(owner, TimeSpan.Zero, cadence: "02:00:00", crisisId: id);
        await _f.RunTimerAsync();
        var token = ReminderFixture.ActionToken(_f.DeliveredTo("promise-cadence").Single());

        var posted = await (await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/post-update", new { token, text = new { en = "All depots open." } })).ReadJsonAsync();

        Assert.NotEqual(JsonValueKind.Null, posted.GetProperty("nextDueAt").ValueKind);
        var page = await (await _f.Client.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextUpdateExpectedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("updates")[0].GetProperty("nextUpdateExpectedAt").ValueKind);
    }
}
