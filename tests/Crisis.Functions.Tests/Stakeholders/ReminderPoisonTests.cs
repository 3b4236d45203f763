using System.Net.Http.Json;
using Azure.Data.Tables;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Stakeholders;

/// <summary>One owed update that cannot be handled never stops the reminders of everyone else.</summary>
public class ReminderPoisonTests(ReminderApp shared) : IClassFixture<ReminderApp>
{
    private readonly ReminderFixture _f = shared.F;

    [Fact]
    public async Task An_entry_that_fails_is_set_aside_visibly_and_every_other_reminder_still_goes_out_run_after_run()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var poisonOwner = await _f.AddStakeholderAsync("poison-owner", "expert");
        var bad = await _f.ExpectAsync(poisonOwner, TimeSpan.Zero, crisisId: crisis);
        await _f.ExpectAsync(await _f.AddStakeholderAsync("healthy-owner", "expert"), TimeSpan.Zero, crisisId: crisis);
        await BreakAsync(poisonOwner);

        var run = await _f.RunTimerAsync();

        Assert.True(run.Succeeded, run.ErrorMessage);
        Assert.Single(_f.DeliveredTo("healthy-owner"));
        var due = await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/expected-updates/due")).ReadJsonAsync();
        var aside = Assert.Single(due.GetProperty("setAside").EnumerateArray());
        Assert.Equal(bad, aside.GetProperty("expectedUpdateId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(aside.GetProperty("reason").GetString()));

        _f.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        var again = await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/expected-updates/due")).ReadJsonAsync();
        Assert.Single(again.GetProperty("setAside").EnumerateArray());
    }

    [Fact]
    public async Task An_update_answered_with_the_longest_note_every_quarter_hour_for_ten_hours_keeps_reminding_and_keeps_every_note()
    {
        const int Rolls = 40;
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        var owner = await _f.AddStakeholderAsync("chatty-owner", "expert");
        var id = await _f.ExpectAsync(owner, TimeSpan.Zero, cadence: "00:15:00", crisisId: crisis);
        var table = await _f.App.Services.GetRequiredService<CrisisStorage>().TableAsync(StakeholderStore.ExpectedUpdateTable, CancellationToken.None);
        var rowSizes = new List<int>();

        for (var roll = 1; roll <= Rolls; roll++)
        {
            Assert.True((await _f.RunTimerAsync()).Succeeded);
            var reminders = _f.DeliveredTo("chatty-owner");
            Assert.Equal(roll, reminders.Count);
            var note = $"{roll:D2} " + new string('n', AcknowledgeRequest.MaxNote - 3);
            var ack = await _f.Client.PostAsJsonAsync("/api/stakeholder-actions/acknowledge", new { token = ReminderFixture.ActionToken(reminders[^1]), note });
            Assert.Equal(System.Net.HttpStatusCode.OK, ack.StatusCode);
            rowSizes.Add((await table.GetEntityAsync<TableEntity>(crisis, id)).Value.GetString("Data")!.Length);
            _f.Clock.Advance(TimeSpan.FromMinutes(15));
        }

        Assert.True(rowSizes.Max() < 2 * rowSizes.Min(), $"The update's row grew from {rowSizes.Min()} to {rowSizes.Max()} characters.");
        var list = await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/expected-updates")).ReadJsonAsync();
        var occurrences = list.GetProperty("expectedUpdates").EnumerateArray().Single(u => u.GetProperty("id").GetString() == id).GetProperty("occurrences");
        Assert.Equal(Rolls + 1, occurrences.GetArrayLength());
        Assert.Equal(Enumerable.Range(1, Rolls + 1), occurrences.EnumerateArray().Select(o => o.GetProperty("number").GetInt32()));
        Assert.All(Enumerable.Range(1, Rolls), n => Assert.StartsWith($"{n:D2} ", occurrences[n - 1].GetProperty("note").GetString(), StringComparison.Ordinal));
        var record = await (await _f.Admin.GetAsync($"/api/admin/stakeholders/{owner}/record")).ReadJsonAsync();
        Assert.Equal(Rolls, record.GetProperty("onTime").GetInt32());
        var due = await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/expected-updates/due")).ReadJsonAsync();
        Assert.Empty(due.GetProperty("setAside").EnumerateArray());
    }

    /// <summary>Breaks the stored owner of an owed update, as a defect or a hand edit could: reminding it fails.</summary>
    private async Task BreakAsync(string stakeholderId)
    {
        var table = await _f.App.Services.GetRequiredService<CrisisStorage>().TableAsync(StakeholderStore.StakeholderTable, CancellationToken.None);
        var row = (await table.GetEntityAsync<TableEntity>("stakeholders", stakeholderId)).Value;
        row["Data"] = row.GetString("Data")![..^10];
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }
}
