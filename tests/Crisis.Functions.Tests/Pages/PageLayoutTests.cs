using System.Net;
using Crisis.Functions.Pages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Pages;

/// <summary>The layout every HTML page shares, and the stylesheet it loads, through the host.</summary>
public class PageLayoutTests(SharedApp shared) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task The_stylesheet_is_served_with_a_strong_etag_for_a_year_and_a_304_when_the_client_holds_it()
    {
        var response = await shared.Client.GetAsync(PageAssets.StylesheetUrl);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Contains("immutable", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl.MaxAge);
        var css = await response.Content.ReadAsStringAsync();
        Assert.Contains("prefers-color-scheme: dark", css, StringComparison.Ordinal);
        Assert.Contains("prefers-reduced-motion", css, StringComparison.Ordinal);
        Assert.Contains("@media print", css, StringComparison.Ordinal);
        Assert.DoesNotContain("@font-face", css, StringComparison.Ordinal);

        using var again = new HttpRequestMessage(HttpMethod.Get, PageAssets.StylesheetUrl);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag);
        var revalidated = await shared.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("en", "ltr", "Skip to main content")]
    [InlineData("fa", "rtl", "رفتن به محتوای اصلی")]
    public async Task A_link_page_uses_the_shared_layout_in_the_readers_language_under_a_strict_policy_that_keeps_the_token_out_of_referrers(string language, string direction, string skip)
    {
        var response = await shared.Client.GetAsync($"/api/subscriptions/confirm?token=x.y.z&lang={language}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.StartsWith($"<!doctype html><html lang=\"{language}\" dir=\"{direction}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<link rel=\"stylesheet\" href=\"{PageAssets.StylesheetUrl}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<a class=\"skip\" href=\"#main\">{skip}</a><main id=\"main\" tabindex=\"-1\"><h1>", html, StringComparison.Ordinal);
        Assert.Equal(HtmlPage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("style-src 'self'", HtmlPage.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", HtmlPage.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal(language, response.Content.Headers.ContentLanguage.Single());
    }
}
