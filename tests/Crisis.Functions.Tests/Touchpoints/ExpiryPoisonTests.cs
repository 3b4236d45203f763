using Azure.Data.Tables;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;
using Crisis.Functions.Touchpoints;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Touchpoints;

/// <summary>One crisis whose expiry cannot finish never keeps the other ended crises on the organisation's touchpoints.</summary>
public class ExpiryPoisonTests : IAsyncLifetime
{
    private ReminderFixture _f = null!;

    public async Task InitializeAsync() => _f = await ReminderFixture.StartAsync(new Dictionary<string, string?> { ["Expiry:GracePeriod"] = "00:00:00" });

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    [Fact]
    public async Task A_crisis_whose_expiry_fails_is_set_aside_in_its_audit_once_and_the_others_still_expire_run_after_run()
    {
        var bad = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var good = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var table = await _f.App.Services.GetRequiredService<CrisisStorage>().TableAsync(CannedResponseStore.TableName, CancellationToken.None);
        await table.AddEntityAsync(new TableEntity(bad, "unreadable") { ["Data"] = "{\"name\": " });
        foreach (var id in new[] { bad, good, _f.CrisisId })
        {
            await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{id}/end");
        }

        var run = await _f.Client.RunTimerAsync("CrisisExpiry");
        _f.Clock.Advance(TimeSpan.FromMinutes(5));
        var again = await _f.Client.RunTimerAsync("CrisisExpiry");

        Assert.True(run.Succeeded, run.ErrorMessage);
        Assert.True(again.Succeeded, again.ErrorMessage);
        foreach (var id in new[] { good, _f.CrisisId })
        {
            Assert.Equal("archived", (await (await _f.Admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync()).GetProperty("status").GetString());
        }

        Assert.Equal("ended", (await (await _f.Admin.GetAsync($"/api/admin/crises/{bad}")).ReadJsonAsync()).GetProperty("status").GetString());
        Assert.Single(await CrisisFixtures.AuditActionsAsync(_f.Admin, bad), a => a == ExpiryTimer.SetAsideAction);
        Assert.DoesNotContain(ExpiryTimer.SetAsideAction, await CrisisFixtures.AuditActionsAsync(_f.Admin, good));
    }
}
