using System.Net;
using Azure.Data.Tables;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>One message that cannot be made never holds back the others: it is set aside, counted and listed for admins.</summary>
public sealed class OutboxPoisonTests : IAsyncLifetime
{
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task A_message_whose_rendering_throws_is_set_aside_and_listed_while_the_others_of_the_run_are_delivered()
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await _f.SubscribeWebhookAsync($"hooks/p{i}")).GetProperty("subscription").GetProperty("id").GetString()!);
        }

        await CorruptAsync(ids[2]);
        var update = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");

        var run = await _f.RunTimerAsync();

        Assert.True(run.Succeeded, run.ErrorMessage);
        foreach (var i in new[] { 0, 1, 3 })
        {
            Assert.Single(_f.DeliveredTo($"hooks/p{i}"), d => SubscriptionFixture.Type(d) == "crisis.update");
        }

        Assert.DoesNotContain(_f.DeliveredTo("hooks/p2"), d => SubscriptionFixture.Type(d) == "crisis.update");
        var listed = await (await _f.Admin.GetAsync("/api/admin/outbox/set-aside")).ReadJsonAsync();
        var aside = Assert.Single(listed.GetProperty("messages").EnumerateArray());
        Assert.Equal(UpdateNotifications.Key(_f.CrisisId, update, ids[2]), aside.GetProperty("key").GetString());
        Assert.Equal(UpdateNotifications.KindName, aside.GetProperty("kind").GetString());
        Assert.StartsWith("Rendering failed: ", aside.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("Pigeon", aside.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var status = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{update}/notifications")).ReadJsonAsync();
        Assert.Equal((3, 1, 0), (status.GetProperty("sent").GetInt32(), status.GetProperty("setAside").GetInt32(), status.GetProperty("queued").GetInt32()));

        _f.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        Assert.Single((await (await _f.Admin.GetAsync("/api/admin/outbox/set-aside")).ReadJsonAsync()).GetProperty("messages").EnumerateArray());
        Assert.DoesNotContain(_f.DeliveredTo("hooks/p2"), d => SubscriptionFixture.Type(d) == "crisis.update");
    }

    [Fact]
    public async Task The_set_aside_list_refuses_a_page_size_out_of_range()
    {
        var problem = await (await _f.Admin.GetAsync("/api/admin/outbox/set-aside?pageSize=0")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        Assert.Contains("pageSize is 1 to 1000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _f.Client.GetAsync("/api/admin/outbox/set-aside")).StatusCode);
    }

    /// <summary>Stores a channel the app does not know in the subscriber's row: reading it back throws, as a corrupted document would.</summary>
    private async Task CorruptAsync(string subscriberId)
    {
        var table = await _f.App.Services.GetRequiredService<CrisisStorage>().TableAsync(SubscriberStore.TableName, CancellationToken.None);
        await table.UpdateEntityAsync(new TableEntity(SubscriberIds.Partition(SubscriberIds.Shard(subscriberId)), subscriberId) { ["Channel"] = "Pigeon" }, Azure.ETag.All, TableUpdateMode.Merge);
    }
}
