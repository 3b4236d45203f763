using System.Globalization;
using System.Text.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Browser;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

/// <summary>The stakeholder action page in a real browser: accessible in every script the product writes, and usable from the reminder's link.</summary>
public class ActionPageBrowserTests(ActionPageApp shared, BrowserFixture browser) : IClassFixture<ActionPageApp>, IClassFixture<BrowserFixture>
{
    private readonly ReminderFixture _f = shared.F;

    [Theory]
    [MemberData(nameof(BrowserFixture.Languages), MemberType = typeof(BrowserFixture))]
    public async Task The_action_page_has_no_serious_accessibility_violation(string language)
    {
        var link = await RemindAsync("browser-axe-" + language, language, canPublish: language == "fa");

        await browser.CheckPageAsync(_f.Client, link, language, "stakeholder-action");
    }

    [Fact]
    public async Task A_stakeholder_acknowledges_from_the_reminders_link_with_a_new_time_and_a_note()
    {
        var link = await RemindAsync("browser-ack", "en");
        var eta = _f.Clock.Now.AddHours(3);
        var local = TimeZoneInfo.ConvertTime(eta, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

        var page = await browser.OpenAsync(_f.Client, link, javaScript: false);
        try
        {
            await page.FillAsync("#newEta", local);
            await page.FillAsync("#note", "Waiting for the port authority.");
            await page.ClickAsync("form[action^='/api/stakeholder-actions/page/acknowledge'] button[type=submit]");

            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksAcknowledgedTitle, "en"), await page.InnerTextAsync("h1"));
            await page.GotoAsync(link);
            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksAnsweredTitle, "en"), await page.InnerTextAsync("h1"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    private async Task<string> RemindAsync(string name, string language, bool canPublish = false)
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        var owner = await _f.AddStakeholderAsync(name, "expert", canPublish, language: language);
        await _f.ExpectAsync(owner, TimeSpan.Zero, crisisId: crisis);
        Assert.True((await _f.RunTimerAsync()).Succeeded);
        var url = JsonDocument.Parse(_f.DeliveredTo(name).Single().Body).RootElement.GetProperty("actionUrl").GetString()!;
        return new Uri(url).PathAndQuery;
    }
}
