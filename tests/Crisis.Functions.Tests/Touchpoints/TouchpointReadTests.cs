using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Touchpoints;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Touchpoints;

/// <summary>
/// Two instances on one storage and one clock: the writer, where admins change things, and a reader that only
/// serves the public. Each test works on touchpoints and crises of its own.
/// </summary>
public sealed class TouchpointInstances : IAsyncLifetime
{
    public static readonly TimeSpan RevalidateAfter = TimeSpan.FromMinutes(1);

    public ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    public CrisisAppFactory Writer { get; private set; } = null!;

    public CrisisAppFactory Reader { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public HttpClient ReaderClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["PublicPages:RevalidateAfter"] = RevalidateAfter.ToString(), ["Outbox:SendInBackground"] = "false" };
        Writer = await CrisisAppFactory.CreateAsync(settings, Clock);
        Reader = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>(settings) { ["Storage:NamePrefix"] = Writer.NamePrefix }, Clock);
        Admin = Writer.CreateAdminClient();
        Client = Writer.CreateClient();
        ReaderClient = Reader.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        ReaderClient.Dispose();
        await Reader.DisposeAsync();
        await Writer.DisposeAsync();
    }
}

public class TouchpointReadTests(TouchpointInstances f) : IClassFixture<TouchpointInstances>
{
    private const string Normal = "Welcome to our shop.";

    private async Task<string> NewTouchpointAsync()
    {
        var id = "banner-" + Guid.NewGuid().ToString("N")[..8];
        await (await f.Admin.PutAsJsonAsync($"/api/admin/touchpoints/{id}", new { kind = "website-banner", name = "Home banner", defaultLanguage = "en", normal = new { en = Normal } })).ReadJsonAsync();
        return id;
    }

    private async Task<(string Crisis, string Touchpoint)> OverriddenAsync(string text = "Flooding: deliveries are late.")
    {
        var touchpoint = await NewTouchpointAsync();
        var crisis = await CrisisFixtures.CreateAsync(f.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        await (await f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/{touchpoint}", new { text = new { en = text, fa = "سیل: تحویل‌ها دیر است." } })).ReadJsonAsync();
        return (crisis, touchpoint);
    }

    private static async Task<JsonElement> ReadAsync(HttpClient client, string touchpoint, string query = "") =>
        await (await client.GetAsync($"/api/touchpoints/{touchpoint}{query}")).ReadJsonAsync();

    private static async Task<string> TextAsync(HttpClient client, string touchpoint) =>
        (await ReadAsync(client, touchpoint)).GetProperty("text").GetString()!;

    [Fact]
    public async Task The_public_read_answers_304_to_its_own_etag_and_a_new_etag_once_the_text_changes()
    {
        var (crisis, touchpoint) = await OverriddenAsync();
        var first = await f.Client.GetAsync($"/api/touchpoints/{touchpoint}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.ETag!.IsWeak);
        Assert.Contains("stale-while-revalidate", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("*", first.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/touchpoints/{touchpoint}");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag);
        var notModified = await f.Client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(first.Headers.ETag, notModified.Headers.ETag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        await CrisisFixtures.PostAsync(f.Admin, $"/api/admin/crises/{crisis}/activate");
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/touchpoints/{touchpoint}");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag);
        var changed = await f.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(first.Headers.ETag, changed.Headers.ETag);
        var body = await changed.ReadJsonAsync();
        Assert.NotEqual((await first.ReadJsonAsync()).GetProperty("version").GetString(), body.GetProperty("version").GetString());
        Assert.Equal("crisis-override", body.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Activation_end_and_restore_show_at_once_on_the_instance_that_made_them()
    {
        var (crisis, touchpoint) = await OverriddenAsync();
        Assert.Equal(Normal, await TextAsync(f.Client, touchpoint));

        await CrisisFixtures.PostAsync(f.Admin, $"/api/admin/crises/{crisis}/activate");
        var active = await ReadAsync(f.Client, touchpoint, "?lang=fa");
        Assert.Equal("سیل: تحویل‌ها دیر است.", active.GetProperty("text").GetString());
        Assert.Equal("rtl", active.GetProperty("dir").GetString());
        Assert.Equal(crisis, active.GetProperty("crisisId").GetString());
        Assert.Contains($"/api/c/{crisis}?lang=fa", active.GetProperty("link").GetString(), StringComparison.Ordinal);

        await (await f.Admin.PostAsync($"/api/admin/touchpoints/{touchpoint}/restore", null)).ReadJsonAsync();
        Assert.Equal(Normal, await TextAsync(f.Client, touchpoint));
        await (await f.Admin.PostAsync($"/api/admin/touchpoints/{touchpoint}/undo-restore", null)).ReadJsonAsync();
        Assert.Equal("Flooding: deliveries are late.", await TextAsync(f.Client, touchpoint));

        await CrisisFixtures.PostAsync(f.Admin, $"/api/admin/crises/{crisis}/end");
        var ended = await ReadAsync(f.Client, touchpoint);
        Assert.Equal(Normal, ended.GetProperty("text").GetString());
        Assert.Equal("normal", ended.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, ended.GetProperty("link").ValueKind);
    }

    [Fact]
    public async Task Another_instance_serves_its_copy_until_the_revalidation_interval_has_passed_then_the_change()
    {
        var (crisis, touchpoint) = await OverriddenAsync();
        Assert.Equal(Normal, await TextAsync(f.ReaderClient, touchpoint));

        await CrisisFixtures.PostAsync(f.Admin, $"/api/admin/crises/{crisis}/activate");
        f.Clock.Advance(TouchpointInstances.RevalidateAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(Normal, await TextAsync(f.ReaderClient, touchpoint));

        f.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Flooding: deliveries are late.", await TextAsync(f.ReaderClient, touchpoint));
    }

    [Fact]
    public async Task A_touchpoint_first_asked_for_on_another_instance_is_found_there_once_created()
    {
        var id = "banner-" + Guid.NewGuid().ToString("N")[..8];
        await (await f.ReaderClient.GetAsync($"/api/touchpoints/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);

        await (await f.Admin.PutAsJsonAsync($"/api/admin/touchpoints/{id}", new { kind = "website-banner", name = "Banner", defaultLanguage = "en", normal = new { en = Normal } })).ReadJsonAsync();
        f.Clock.Advance(TouchpointInstances.RevalidateAfter);
        Assert.Equal(Normal, await TextAsync(f.ReaderClient, id));
    }

    [Fact]
    public async Task A_touchpoint_saved_before_reads_were_published_is_published_on_its_first_read()
    {
        var touchpoint = await NewTouchpointAsync();
        var container = await f.Writer.Services.GetRequiredService<CrisisStorage>().ContainerAsync(TouchpointStore.ContainerName);
        Assert.True(await container.GetBlobClient(TouchpointPublisher.PublishedName(touchpoint)).RemoveAsync());

        Assert.Equal(Normal, await TextAsync(f.ReaderClient, touchpoint));
        Assert.NotNull(await container.GetBlobClient(TouchpointPublisher.PublishedName(touchpoint)).ReadIfExistsAsync());
    }

    [Fact]
    public async Task The_expiry_timer_repairs_a_publication_left_behind_by_an_interrupted_publish()
    {
        var touchpoint = await NewTouchpointAsync();
        var container = await f.Writer.Services.GetRequiredService<CrisisStorage>().ContainerAsync(TouchpointStore.ContainerName);
        var behind = new PublishedTouchpoint(touchpoint, TouchpointKind.WebsiteBanner, "normal", null, "en", new Dictionary<string, string> { ["en"] = "An old text." }, null);
        await container.GetBlobClient(TouchpointPublisher.PublishedName(touchpoint)).WriteAsync(BinaryData.FromObjectAsJson(behind, Functions.Common.JsonBody.Options), "application/json");
        f.Clock.Advance(TouchpointInstances.RevalidateAfter);
        Assert.Equal("An old text.", await TextAsync(f.ReaderClient, touchpoint));

        Assert.True((await f.Client.RunTimerAsync("CrisisExpiry")).Succeeded);
        f.Clock.Advance(TouchpointInstances.RevalidateAfter);
        Assert.Equal(Normal, await TextAsync(f.ReaderClient, touchpoint));
    }

    [Fact]
    public async Task The_read_answers_in_the_accept_language_the_texts_offer_and_falls_back_to_the_crisis_default()
    {
        var (crisis, touchpoint) = await OverriddenAsync();
        await CrisisFixtures.PostAsync(f.Admin, $"/api/admin/crises/{crisis}/activate");

        using var persian = new HttpRequestMessage(HttpMethod.Get, $"/api/touchpoints/{touchpoint}");
        persian.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("fa-IR"));
        var answer = await f.Client.SendAsync(persian);
        Assert.Equal("fa", (await answer.ReadJsonAsync()).GetProperty("language").GetString());
        Assert.Equal("fa", answer.Content.Headers.ContentLanguage.Single());

        Assert.Equal("en", (await ReadAsync(f.Client, touchpoint, "?lang=gu")).GetProperty("language").GetString());
    }
}

public class TouchpointEmbedTests(TouchpointInstances f) : IClassFixture<TouchpointInstances>
{
    private Task<(string Crisis, string Touchpoint)> ActiveOverrideAsync() =>
        Banners.ActiveOverrideAsync(f.Admin, new Dictionary<string, string> { ["en"] = "Flooding: <deliveries> are late.", ["fa"] = "سیل: تحویل‌ها دیر است." });

    private async Task<HttpResponseMessage> FrameAsync(string touchpoint, string acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/touchpoints/{touchpoint}/embed.html");
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(acceptLanguage));
        return await f.Client.SendAsync(request);
    }

    [Fact]
    public async Task The_banner_script_is_served_to_any_site_as_javascript_with_a_strong_etag_and_the_words_of_every_catalogue_language()
    {
        var script = await f.Client.GetAsync("/api/embed.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal("*", script.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(script.Headers.ETag!.IsWeak);
        var cacheControl = script.Headers.CacheControl!;
        Assert.True(cacheControl.Public && cacheControl.MaxAge > TimeSpan.Zero, cacheControl.ToString());
        Assert.Contains("stale-while-revalidate", cacheControl.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Accept-Language", script.Headers.Vary);

        var body = await script.Content.ReadAsStringAsync();
        Assert.Contains("data-touchpoint", body, StringComparison.Ordinal);
        Assert.DoesNotContain("eval(", body, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/*LABELS*/", body, StringComparison.Ordinal);
        foreach (var language in Functions.Messages.MessageCatalogue.Languages)
        {
            Assert.Contains(JsonSerializer.Serialize(Functions.Messages.MessageCatalogue.Text(Functions.Messages.MessageKeys.BannerDismiss, language)), body, StringComparison.Ordinal);
        }

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/embed.js");
        conditional.Headers.IfNoneMatch.Add(script.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await f.Client.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task The_frame_page_shows_the_crisis_text_in_the_visitors_language_in_a_named_region_with_a_link_to_the_public_page()
    {
        var (crisis, touchpoint) = await ActiveOverrideAsync();
        var persian = await FrameAsync(touchpoint, "fa");
        Assert.Equal(HttpStatusCode.OK, persian.StatusCode);
        Assert.Equal("text/html", persian.Content.Headers.ContentType!.MediaType);
        Assert.Equal("fa", persian.Content.Headers.ContentLanguage.Single());
        var csp = persian.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors *", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        var html = await persian.Content.ReadAsStringAsync();
        Assert.StartsWith("<!doctype html><html lang=\"fa\" dir=\"rtl\">", html, StringComparison.Ordinal);
        Assert.Contains($"role=\"region\" aria-label=\"{Functions.Messages.MessageCatalogue.Text(Functions.Messages.MessageKeys.BannerLabel, "fa")}\" lang=\"fa\" dir=\"rtl\"", html, StringComparison.Ordinal);
        Assert.Contains("سیل: تحویل‌ها دیر است.", html, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{crisis}?lang=fa\" target=\"_top\">{Functions.Messages.MessageCatalogue.Text(Functions.Messages.MessageKeys.BannerLink, "fa")}</a>", html, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        var script = Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>"));
        Assert.Equal($"<script defer src=\"{Functions.Pages.PageAssets.FrameScriptUrl}\">", script.Value);
        var version = (await (await f.Client.GetAsync($"/api/touchpoints/{touchpoint}?lang=fa")).ReadJsonAsync()).GetProperty("version").GetString();
        Assert.Contains($"<form method=\"get\" action=\"/api/touchpoints/{touchpoint}/embed.html\"><input type=\"hidden\" name=\"lang\" value=\"fa\"><input type=\"hidden\" name=\"dismissed\" value=\"{version}\"><button type=\"submit\">{Functions.Messages.MessageCatalogue.Text(Functions.Messages.MessageKeys.BannerDismiss, "fa")}</button></form>", html, StringComparison.Ordinal);

        var english = await (await FrameAsync(touchpoint, "de")).Content.ReadAsStringAsync();
        Assert.Contains("lang=\"en\" dir=\"ltr\"", english, StringComparison.Ordinal);
        Assert.Contains("Flooding: &lt;deliveries&gt; are late.", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_frame_asked_for_as_dismissed_at_the_version_showing_is_an_empty_page_until_the_text_changes()
    {
        var (crisis, touchpoint) = await ActiveOverrideAsync();
        var version = (await (await f.Client.GetAsync($"/api/touchpoints/{touchpoint}")).ReadJsonAsync()).GetProperty("version").GetString();
        var dismissedUrl = $"/api/touchpoints/{touchpoint}/embed.html?lang=en&dismissed={version}";

        var dismissed = await f.Client.GetAsync(dismissedUrl);
        Assert.Equal(HttpStatusCode.OK, dismissed.StatusCode);
        Assert.EndsWith("<body></body></html>", await dismissed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await (await f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/{touchpoint}", new { text = new { en = "Flooding: deliveries resume tomorrow." } })).ReadJsonAsync();
        Assert.Contains("Flooding: deliveries resume tomorrow.", await (await f.Client.GetAsync(dismissedUrl)).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var script = await f.Client.GetAsync(Functions.Pages.PageAssets.FrameScriptUrl);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", script.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restored_touchpoint_shows_nothing_in_the_frame_page_and_tells_the_script_it_is_normal_content()
    {
        var (_, touchpoint) = await ActiveOverrideAsync();
        var before = await FrameAsync(touchpoint, "en");
        Assert.Contains("role=\"region\"", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await (await f.Admin.PostAsync($"/api/admin/touchpoints/{touchpoint}/restore", null)).ReadJsonAsync();
        var after = await FrameAsync(touchpoint, "en");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        var html = await after.Content.ReadAsStringAsync();
        Assert.DoesNotContain("role=\"region\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Welcome to our shop.", html, StringComparison.Ordinal);
        Assert.EndsWith("<body></body></html>", html, StringComparison.Ordinal);
        Assert.Equal("normal", (await (await f.Client.GetAsync($"/api/touchpoints/{touchpoint}")).ReadJsonAsync()).GetProperty("source").GetString());
    }

    [Fact]
    public async Task The_frame_page_of_an_unknown_or_malformed_touchpoint_is_a_problem()
    {
        await (await f.Client.GetAsync("/api/touchpoints/no-such-banner/embed.html")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await f.Client.GetAsync("/api/touchpoints/Bad_Id/embed.html")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        var (_, touchpoint) = await ActiveOverrideAsync();
        await (await f.Client.GetAsync($"/api/touchpoints/{touchpoint}/embed.html?lang=en_GB")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }
}

public class TouchpointOutageTests
{
    [Fact]
    public async Task While_storage_is_down_the_last_good_copy_of_a_touchpoint_is_served_marked_stale()
    {
        var azurite = await TestAzurite.StartOwnAsync();
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new CrisisAppFactory(azurite.ConnectionString, time: clock);
        using var admin = app.CreateAdminClient();
        using var anonymous = app.CreateClient();
        await (await admin.PutAsJsonAsync("/api/admin/touchpoints/home-banner", new { kind = "website-banner", name = "Home banner", defaultLanguage = "en", normal = new { en = "Welcome." } })).ReadJsonAsync();
        var before = await anonymous.GetAsync("/api/touchpoints/home-banner");
        var body = await before.Content.ReadAsStringAsync();

        await azurite.DisposeAsync();
        clock.Advance(TimeSpan.FromMinutes(10));

        var during = await anonymous.GetAsync("/api/touchpoints/home-banner");
        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.Equal(body, await during.Content.ReadAsStringAsync());
        Assert.Equal(before.Headers.ETag, during.Headers.ETag);
        Assert.Equal(CachedDocumentResult.StaleCacheStatus, during.Headers.GetValues("Cache-Status").Single());
        await (await anonymous.GetAsync("/api/touchpoints/never-read")).AssertProblemAsync(HttpStatusCode.ServiceUnavailable, Problems.StorageUnavailable);
    }
}
