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

    /// <summary>
    /// The test command installs Debian's fonts-noto-core so that screenshots of Gujarati pages show the script, not
    /// boxes: a Gujarati heading measures otherwise in the stylesheet's Noto Sans Gujarati than in a font without it.
    /// </summary>
    [Fact]
    public async Task Gujarati_pages_are_drawn_with_a_gujarati_font_the_machine_has()
    {
        var page = await browser.OpenAsync(shared.Client, "/api/subscriptions/confirm?token=x.y.z&lang=gu", status: 400);
        try
        {
            Assert.Contains("Noto Sans Gujarati", await page.EvalOnSelectorAsync<string>("body", "e => getComputedStyle(e).fontFamily"), StringComparison.Ordinal);
            var widths = await page.EvalOnSelectorAsync<double[]>("h1", """
                h => ["'Noto Sans Gujarati', monospace", "monospace"].map(family => {
                    const probe = document.createElement("span");
                    probe.style.fontFamily = family;
                    probe.textContent = h.textContent;
                    document.body.appendChild(probe);
                    const width = probe.getBoundingClientRect().width;
                    probe.remove();
                    return width;
                })
                """);
            Assert.True(Math.Abs(widths[0] - widths[1]) > 1, $"Gujarati measures {widths[0]} px in Noto Sans Gujarati and {widths[1]} px without it: the font is missing.");
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
