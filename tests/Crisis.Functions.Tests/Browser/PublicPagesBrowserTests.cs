using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Pages;
using Crisis.Functions.Tests.Subscriptions;

namespace Crisis.Functions.Tests.Browser;

/// <summary>An app with a real SMTP server and a crisis in English, Welsh, Gujarati and Persian with everything its page shows.</summary>
public sealed class PublicPagesBrowserApp : IAsyncLifetime
{
    public SubscriptionFixture App { get; private set; } = null!;

    public string CrisisId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        App = await SubscriptionFixture.StartAsync();
        CrisisId = await PublicPageContent.CreateAsync(App.Admin, "en", "cy", "gu", "fa");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The public pages in a real browser: accessible in every language, photographed, and a subscription made through the form.</summary>
public partial class PublicPagesBrowserTests(PublicPagesBrowserApp app, BrowserFixture browser) : IClassFixture<PublicPagesBrowserApp>, IClassFixture<BrowserFixture>
{
    [Theory]
    [MemberData(nameof(BrowserFixture.Languages), MemberType = typeof(BrowserFixture))]
    public async Task The_crisis_page_its_faq_and_the_index_have_no_serious_accessibility_violation_and_are_photographed(string language)
    {
        var pages = new[]
        {
            ("crisis-page", $"/api/c/{app.CrisisId}?lang={language}"),
            ("faq", $"/api/c/{app.CrisisId}/faq?lang={language}"),
            ("index", $"/api/c?lang={language}"),
        };
        foreach (var (name, path) in pages)
        {
            await browser.CheckPageAsync(app.App.Client, path, language, name);
        }
    }

    [Fact]
    public async Task A_person_subscribes_through_the_form_without_javascript_and_confirms_from_the_link_in_the_email()
    {
        const string address = "browser.reader@example.org";
        var page = await browser.OpenAsync(app.App.Client, $"/api/c/{app.CrisisId}?lang=cy", BrowserFixture.Phone, javaScript: false, acceptLanguage: "cy");
        try
        {
            await page.FillAsync("#email", address);
            await page.SelectOptionAsync("#language", "cy");
            await page.ClickAsync($"form[action^='/api/c/{app.CrisisId}/subscribe'] button[type=submit]");
            Assert.Equal(MessageCatalogue.Text(MessageKeys.PublicSubscribeSentTitle, "cy"), await page.InnerTextAsync("h1"));

            await app.App.RunTimerAsync();
            var mail = Assert.Single(app.App.Smtp.Messages(), m => Mime.Header(m, "To") == address);
            var link = ConfirmLink().Match(Mime.Decode(mail));
            Assert.True(link.Success, "The confirmation email has no confirm link.");

            await page.GotoAsync(SubscriptionFixture.PathOf(link.Value));
            await page.ClickAsync("form button[type=submit]");
            Assert.Equal(MessageCatalogue.Text(MessageKeys.PageConfirmedTitle, "cy"), await page.InnerTextAsync("h1"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task Texts_written_on_several_lines_keep_their_line_breaks_on_the_crisis_page_and_in_the_faq()
    {
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["summary"] = new JsonObject { ["en"] = "Flooding in the north.\nDepots are closed." };
        var content = PublicPageContent.Content("en");
        content["statusText"] = new JsonObject { ["en"] = "Deliveries are late.\nRefunds are automatic." };
        content["faq"]![0]!["answer"] = new JsonObject { ["en"] = "Yes.\nWithin ten days." };
        var id = await CrisisFixtures.CreateActiveAsync(app.App.Admin, crisis, content);
        var update = await app.App.Admin.PostAsJsonAsync($"/api/admin/crises/{id}/updates", new JsonObject { ["text"] = new JsonObject { ["en"] = "Depots reopen on Monday.\nBring your receipt." }, ["publish"] = true });
        update.EnsureSuccessStatusCode();

        var page = await browser.OpenAsync(app.App.Client, $"/api/c/{id}?lang=en");
        try
        {
            Assert.Equal("Flooding in the north.\nDepots are closed.", await page.InnerTextAsync("main > p.text"));
            Assert.Equal("Deliveries are late.\nRefunds are automatic.", await page.InnerTextAsync("p.panel.text"));
            Assert.Equal("Depots reopen on Monday.\nBring your receipt.", await page.InnerTextAsync("ol.timeline p.text"));
            Assert.Equal("pre-line", await page.EvalOnSelectorAsync<string>("ol.timeline p.text", "e => getComputedStyle(e).whiteSpace"));

            await page.GotoAsync($"/api/c/{id}/faq?lang=en");
            Assert.Equal("Yes.\nWithin ten days.", await page.InnerTextAsync("section p.text >> nth=0"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [GeneratedRegex(@"https?://[^\s""<>]+/api/subscriptions/confirm\?token=[^\s""<>]+")]
    private static partial Regex ConfirmLink();
}
