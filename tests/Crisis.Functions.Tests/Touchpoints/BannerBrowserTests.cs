using System.Net.Http.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Browser;
using Crisis.Functions.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace Crisis.Functions.Tests.Touchpoints;

/// <summary>
/// The app, and an organisation's website on another origin (another loopback port) serving the pages tests give it.
/// Public reads are sent with max-age 0: the browser's cache keeps real time, not the test clock, so with no max-age
/// every reload revalidates by ETag and sees at once what the app serves (in production the staleness a visitor sees
/// is bounded by PublicPages:MaxAgeSeconds).
/// </summary>
public sealed class BannerBrowserApp : IAsyncLifetime
{
    private readonly Dictionary<string, string> _pages = new(StringComparer.Ordinal);
    private WebApplication? _site;
    private int _sitePort;

    public CrisisAppFactory App { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The app's own address, as the site's tags name it.</summary>
    public string AppUrl => Client.BaseAddress!.AbsoluteUri;

    public async Task InitializeAsync()
    {
        App = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["PublicPages:MaxAgeSeconds"] = "0" });
        Admin = App.CreateAdminClient();
        Client = App.CreateClient();
        (_site, _sitePort) = await LoopbackApp.StartWithRetriesAsync(async () =>
        {
            var (site, port) = LoopbackApp.Create();
            site.MapGet("/{name}", (string name) =>
            {
                lock (_pages)
                {
                    return _pages.TryGetValue(name, out var html) ? Results.Content(html, "text/html; charset=utf-8") : Results.NotFound();
                }
            });
            await site.StartAsync();
            return (site, port);
        });
    }

    /// <summary>Puts a page on the site whose body is <paramref name="body"/>; its URL.</summary>
    public string SitePage(string name, string body)
    {
        lock (_pages)
        {
            _pages[name] = $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Example shop</title></head><body><main><h1>Example shop</h1>{body}<p>Welcome to our shop.</p></main></body></html>";
        }

        var url = $"http://127.0.0.1:{_sitePort}/{name}";
        Assert.NotEqual(new Uri(url).GetLeftPart(UriPartial.Authority), new Uri(AppUrl).GetLeftPart(UriPartial.Authority));
        return url;
    }

    public async Task DisposeAsync()
    {
        if (_site is not null)
        {
            await _site.StopAsync();
            await _site.DisposeAsync();
        }

        Admin.Dispose();
        Client.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>The embeddable banner, by script and by frame, on a page of another origin in a real browser, in the visitor's language.</summary>
public class BannerBrowserTests(BannerBrowserApp shared, BrowserFixture browser) : IClassFixture<BannerBrowserApp>, IClassFixture<BrowserFixture>
{
    private const string Region = "[role=region]";

    private async Task<IPage> VisitAsync(string url, string language, bool javaScript = true)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { Locale = language, JavaScriptEnabled = javaScript, ViewportSize = BrowserFixture.Desktop });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Close += (_, _) => _ = context.CloseAsync();
        var response = await page.GotoAsync(url);
        Assert.Equal(200, response!.Status);
        return page;
    }

    /// <summary>Reloads, then waits until the banner script has decided (<c>data-crisis-banner</c> leaves "loading").</summary>
    private static async Task<string> ReloadScriptPageAsync(IPage page)
    {
        await page.ReloadAsync();
        return await ScriptStateAsync(page);
    }

    private static async Task<string> ScriptStateAsync(IPage page)
    {
        await page.WaitForSelectorAsync("script[data-crisis-banner]:not([data-crisis-banner=loading])", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        return (await page.GetAttributeAsync("script[data-touchpoint]", "data-crisis-banner"))!;
    }

    private static async Task AssertBannerAsync(ILocator region, string language, string crisis)
    {
        Assert.Equal(MessageCatalogue.Text(MessageKeys.BannerLabel, language), await region.GetAttributeAsync("aria-label"));
        Assert.Equal(language, await region.GetAttributeAsync("lang"));
        Assert.Equal(language == "fa" ? "rtl" : "ltr", await region.GetAttributeAsync("dir"));
        Assert.StartsWith(Banners.Texts[language], await region.InnerTextAsync(), StringComparison.Ordinal);
        var link = region.GetByRole(AriaRole.Link);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.BannerLink, language), await link.InnerTextAsync());
        Assert.EndsWith($"/api/c/{crisis}?lang={language}", await link.GetAttributeAsync("href"), StringComparison.Ordinal);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.BannerDismiss, language), await region.GetByRole(AriaRole.Button).InnerTextAsync());
        var blocking = (await region.RunAxe()).Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(blocking.Count == 0, string.Join("\n", blocking));
    }

    [Theory]
    [InlineData("en")]
    [InlineData("fa")]
    public async Task The_script_banner_on_another_sites_page_shows_the_crisis_text_in_the_visitors_language_stays_dismissed_and_vanishes_after_the_restore(string language)
    {
        var (crisis, touchpoint) = await Banners.ActiveOverrideAsync(shared.Admin, Banners.Texts);
        var url = shared.SitePage("script-" + touchpoint, $"<script async src=\"{shared.AppUrl}api/embed.js\" data-touchpoint=\"{touchpoint}\"></script>");

        var page = await VisitAsync(url, language);
        try
        {
            Assert.Equal("shown", await ScriptStateAsync(page));
            await AssertBannerAsync(page.Locator(Region), language, crisis);
            await BrowserFixture.ScreenshotAsync(page, $"banner-script-{language}");

            await page.Locator(Region).GetByRole(AriaRole.Button).ClickAsync();
            Assert.Equal(0, await page.Locator(Region).CountAsync());
            Assert.Equal("dismissed", await ReloadScriptPageAsync(page));
            Assert.Equal(0, await page.Locator(Region).CountAsync());

            await (await shared.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/{touchpoint}", new { text = Banners.Later })).ReadJsonAsync();
            Assert.Equal("shown", await ReloadScriptPageAsync(page));
            Assert.StartsWith(Banners.Later[language], await page.Locator(Region).InnerTextAsync(), StringComparison.Ordinal);

            await (await shared.Admin.PostAsync($"/api/admin/touchpoints/{touchpoint}/restore", null)).ReadJsonAsync();
            Assert.Equal("none", await ReloadScriptPageAsync(page));
            Assert.Equal(0, await page.Locator(Region).CountAsync());
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Theory]
    [InlineData("en")]
    [InlineData("fa")]
    public async Task The_framed_banner_on_another_sites_page_shows_the_crisis_text_in_the_visitors_language_stays_dismissed_and_vanishes_after_the_restore(string language)
    {
        var (crisis, touchpoint) = await Banners.ActiveOverrideAsync(shared.Admin, Banners.Texts);
        var url = shared.SitePage("frame-" + touchpoint, Banners.Frame(shared.AppUrl, touchpoint));

        var page = await VisitAsync(url, language);
        try
        {
            var frame = page.FrameLocator("iframe");
            await AssertBannerAsync(frame.Locator(Region), language, crisis);
            Assert.Equal("_top", await frame.Locator(Region).GetByRole(AriaRole.Link).GetAttributeAsync("target"));
            await BrowserFixture.ScreenshotAsync(page, $"banner-frame-{language}");

            await frame.Locator(Region).GetByRole(AriaRole.Button).ClickAsync();
            Assert.Equal(0, await frame.Locator(Region).CountAsync());
            await page.ReloadAsync();
            Assert.Equal(language, await frame.Locator("html").GetAttributeAsync("lang"));
            Assert.Equal(0, await frame.Locator(Region).CountAsync());

            await (await shared.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/{touchpoint}", new { text = Banners.Later })).ReadJsonAsync();
            await page.ReloadAsync();
            Assert.StartsWith(Banners.Later[language], await frame.Locator(Region).InnerTextAsync(), StringComparison.Ordinal);

            // Restored, the touchpoint shows its normal content (English only here): the frame is an empty page.
            await (await shared.Admin.PostAsync($"/api/admin/touchpoints/{touchpoint}/restore", null)).ReadJsonAsync();
            await page.ReloadAsync();
            Assert.Equal("en", await frame.Locator("html").GetAttributeAsync("lang"));
            Assert.Equal(0, await frame.Locator(Region).CountAsync());
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task Without_javascript_the_framed_banners_dismiss_button_leaves_an_empty_frame()
    {
        var (_, touchpoint) = await Banners.ActiveOverrideAsync(shared.Admin, Banners.Texts);
        var url = shared.SitePage("noscript-" + touchpoint, Banners.Frame(shared.AppUrl, touchpoint));

        var page = await VisitAsync(url, "fa", javaScript: false);
        try
        {
            var frame = page.FrameLocator("iframe");
            Assert.StartsWith(Banners.Texts["fa"], await frame.Locator(Region).InnerTextAsync(), StringComparison.Ordinal);

            await frame.Locator(Region).GetByRole(AriaRole.Button).ClickAsync();
            await page.WaitForURLAsync(url);
            await frame.Locator(Region).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
            Assert.Equal("fa", await frame.Locator("html").GetAttributeAsync("lang"));
            Assert.Contains(page.Frames, f => f.Url.Contains("dismissed=", StringComparison.Ordinal));
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
