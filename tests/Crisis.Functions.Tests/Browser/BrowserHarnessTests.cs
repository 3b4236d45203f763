using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Browser;

/// <summary>The browser harness itself, on a page that exists without any data: a link page refusing an unusable link.</summary>
public class BrowserHarnessTests(SharedApp shared, BrowserFixture browser) : IClassFixture<SharedApp>, IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData("en", "ltr")]
    [InlineData("fa", "rtl")]
    public async Task A_page_of_the_app_opens_in_debian_chromium_passes_axe_and_is_photographed_at_both_sizes(string language, string direction)
    {
        var page = await browser.OpenAsync(shared.Client, $"/api/subscriptions/confirm?token=x.y.z&lang={language}", status: 400);
        try
        {
            Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
            Assert.Equal(direction, await page.GetAttributeAsync("html", "dir"));
            await BrowserFixture.AssertAccessibleAsync(page);
            await BrowserFixture.ScreenshotAsync(page, $"link-unusable-{language}");
            Assert.True(File.Exists(Path.Combine(BrowserFixture.ScreenshotFolder, $"link-unusable-{language}-360x740.png")));
            Assert.True(File.Exists(Path.Combine(BrowserFixture.ScreenshotFolder, $"link-unusable-{language}-1280x800.png")));
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task A_page_opened_with_javascript_off_still_shows_its_heading()
    {
        var page = await browser.OpenAsync(shared.Client, "/api/subscriptions/confirm?token=x.y.z&lang=cy", javaScript: false, status: 400);
        try
        {
            Assert.Equal("cy", await page.GetAttributeAsync("html", "lang"));
            Assert.False(string.IsNullOrWhiteSpace(await page.InnerTextAsync("h1")));
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
