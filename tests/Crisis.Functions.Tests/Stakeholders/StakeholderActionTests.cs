using System.Net;
using System.Net.Http.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

/// <summary>What a stakeholder's link may do once its crisis is archived: nothing at all.</summary>
public class StakeholderActionTests(ReminderApp shared) : IClassFixture<ReminderApp>
{
    private readonly ReminderFixture _f = shared.F;

    [Theory]
    [InlineData("post-update")]
    [InlineData("acknowledge")]
    public async Task An_answer_for_an_archived_crisis_is_refused_and_leaves_the_occurrence_unanswered(string action)
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var name = "archived-" + action;
        var owner = await _f.AddStakeholderAsync(name, "expert", canPublish: true);
        await _f.ExpectAsync(owner, TimeSpan.Zero, crisisId: crisis);
        await _f.RunTimerAsync();
        var token = ReminderFixture.ActionToken(_f.DeliveredTo(name).Single());
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/end");
        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/archive");
        var recordBefore = (await (await _f.Admin.GetAsync($"/api/admin/stakeholders/{owner}/record")).ReadJsonAsync()).ToString();

        object body = action == "post-update" ? new { token, text = new { en = "All clear." } } : new { token };
        var response = await _f.Client.PostAsJsonAsync($"/api/stakeholder-actions/{action}", body);

        await response.AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        Assert.Equal(recordBefore, (await (await _f.Admin.GetAsync($"/api/admin/stakeholders/{owner}/record")).ReadJsonAsync()).ToString());
        var updates = await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/updates")).ReadJsonAsync();
        Assert.Empty(updates.GetProperty("updates").EnumerateArray());
    }
}
