using Azure.Data.Tables;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>One notification job that cannot be queued never holds back the notifications of the updates after it.</summary>
public class NotificationPoisonTests : IAsyncLifetime
{
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync();

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    [Fact]
    public async Task A_job_that_fails_is_retried_each_run_said_once_in_the_audit_and_the_later_updates_still_reach_everyone()
    {
        await _f.SubscribeWebhookAsync("hooks/poison");
        var broken = await _f.PublishUpdateAsync("First, unreadable.", "اول.");
        await _f.PublishUpdateAsync("Second, fine.", "دوم.");
        var table = await _f.App.Services.GetRequiredService<CrisisStorage>().TableAsync(CrisisStore.TableName, CancellationToken.None);
        var row = (await table.GetEntityAsync<TableEntity>("crises", $"u|{_f.CrisisId}|{broken}")).Value;
        row["Data"] = row.GetString("Data")![..^12];
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);

        await _f.RunTimerAsync();
        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        await _f.RunTimerAsync();

        var updates = _f.DeliveredTo("hooks/poison").Where(d => SubscriptionFixture.Type(d) == "crisis.update").ToList();
        Assert.Equal("Second, fine.", SubscriptionFixture.Json(Assert.Single(updates)).GetProperty("update").GetProperty("text").GetString());
        Assert.Single(await CrisisFixtures.AuditActionsAsync(_f.Admin, _f.CrisisId), a => a == FanoutService.SetAsideAction);
    }
}
