using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Browser;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>The manage and erase-confirmation pages in a real browser: accessible in every script the product writes, and usable end to end.</summary>
public class ManagePageBrowserTests(ManagePageApp shared, BrowserFixture browser) : IClassFixture<ManagePageApp>, IClassFixture<BrowserFixture>
{
    private readonly SubscriptionFixture _f = shared.F;

    [Theory]
    [MemberData(nameof(BrowserFixture.Languages), MemberType = typeof(BrowserFixture))]
    public async Task The_manage_page_and_the_erase_confirmation_have_no_serious_accessibility_violation(string language)
    {
        var confirmed = await _f.SubscribeWebhookAsync("browser/axe-" + language, language);
        var manage = SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("manage").GetString()!);

        await browser.CheckPageAsync(_f.Client, manage, language, "manage", async page =>
        {
            await page.ClickAsync("a[href^='/api/subscriptions/manage/erase']");
            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksEraseTitle, language), await page.InnerTextAsync("h1"));
            await BrowserFixture.AssertAccessibleAsync(page);
            await BrowserFixture.PhotographAsync(page, "erase-confirm", language);
        });
    }

    [Fact]
    public async Task A_person_confirms_from_the_email_then_changes_language_on_the_manage_page_and_unsubscribes_with_javascript_off()
    {
        (await _f.SubscribeAsync(new { email = "browser.person@example.org", language = "en" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmLink = SubscriptionFixture.LinkIn(Mime.Decode(_f.Smtp.Messages().Single(m => m.Contains("browser.person@example.org", StringComparison.Ordinal))), "confirm");

        var page = await browser.OpenAsync(_f.Client, confirmLink, javaScript: false);
        try
        {
            await page.ClickAsync("button[type=submit]");
            Assert.Equal(MessageCatalogue.Text(MessageKeys.PageConfirmedTitle, "en"), await page.InnerTextAsync("h1"));

            await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
            await _f.RunTimerAsync();
            var update = _f.Smtp.Messages().Last(m => m.Contains("browser.person@example.org", StringComparison.Ordinal));
            await page.GotoAsync(SubscriptionFixture.LinkIn(Mime.Decode(update), "manage"));
            Assert.Equal("Your subscription", await page.InnerTextAsync("h1"));

            await page.SelectOptionAsync("#language", "cy");
            await page.ClickAsync("form[action^='/api/subscriptions/manage?'] button[type=submit]");
            Assert.Equal("cy", await page.GetAttributeAsync("html", "lang"));
            Assert.Equal(MessageCatalogue.Text(MessageKeys.LinksManageSaved, "cy"), await page.InnerTextAsync("p.notice"));
            Assert.Equal("cy", await page.InputValueAsync("#language"));

            await page.ClickAsync("form[action^='/api/subscriptions/manage/unsubscribe'] button[type=submit]");
            Assert.Equal(MessageCatalogue.Text(MessageKeys.PageUnsubscribedTitle, "cy"), await page.InnerTextAsync("h1"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
