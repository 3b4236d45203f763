using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

public class PublicPageTests : IAsyncLifetime
{
    private static readonly string[] AllLanguages = ["en", "cy", "gu", "id", "sw", "fa"];

    private CrisisAppFactory _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _public = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        _admin = _app.CreateAdminClient();
        _public = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _public.Dispose();
        await _app.DisposeAsync();
    }

    private static JsonObject MultilingualContent() => new()
    {
        ["statusText"] = CrisisFixtures.Localised(("en", "Engineers are on site."), ("fa", "مهندسان در محل هستند.")),
        ["channels"] = new JsonArray(
            new JsonObject { ["need"] = "technical", ["channel"] = "live-chat", ["contact"] = "https://example.org/chat" },
            new JsonObject { ["need"] = "emergency", ["channel"] = "phone", ["contact"] = "tel:+15550100", ["note"] = CrisisFixtures.Localised(("en", "A person answers.")) }),
        ["faq"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "resume",
                ["category"] = "service",
                ["order"] = 2,
                ["question"] = CrisisFixtures.Localised(("en", "When will the résumé upload work again?"), ("gu", "સેવા ક્યારે શરૂ થશે?"), ("fa", "سرویس کی دوباره کار می‌کند؟")),
                ["answer"] = CrisisFixtures.Localised(("en", "Within two days."), ("gu", "બે દિવસમાં."), ("fa", "ظرف دو روز.")),
            },
            new JsonObject
            {
                ["id"] = "refund",
                ["category"] = "billing",
                ["order"] = 1,
                ["question"] = CrisisFixtures.Localised(("en", "Will I be refunded?"), ("cy", "A gaf i ad-daliad?"), ("id", "Apakah saya mendapat pengembalian dana?"), ("sw", "Je, nitarejeshewa pesa?")),
                ["answer"] = CrisisFixtures.Localised(("en", "Yes, for every day without service."), ("fa", "بله، برای هر روز بدون سرویس.")),
            }),
    };

    [Fact]
    public async Task A_published_page_is_readable_in_every_language_with_its_direction()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages), MultilingualContent());

        foreach (var language in AllLanguages)
        {
            var response = await _public.GetAsync($"/api/crises/{id}?lang={language}");
            var page = await response.ReadJsonAsync();
            Assert.Equal(language, response.Content.Headers.ContentLanguage.Single());
            Assert.Equal(language, page.GetProperty("language").GetString());
            Assert.Equal(CrisisFixtures.Titles[language], page.GetProperty("title").GetString());
            Assert.Equal(language == "fa" ? "rtl" : "ltr", page.GetProperty("dir").GetString());
            Assert.Equal("active", page.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Missing_translations_and_unoffered_languages_fall_back_to_the_default_language()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages), MultilingualContent());

        var welsh = await (await _public.GetAsync($"/api/crises/{id}?lang=cy")).ReadJsonAsync();
        Assert.Equal("Engineers are on site.", welsh.GetProperty("statusText").GetString());
        Assert.Equal("en", welsh.GetProperty("statusTextLang").GetString());
        var persian = await (await _public.GetAsync($"/api/crises/{id}?lang=fa")).ReadJsonAsync();
        Assert.Equal("مهندسان در محل هستند.", persian.GetProperty("statusText").GetString());
        Assert.False(persian.TryGetProperty("statusTextLang", out _));

        var german = await _public.GetAsync($"/api/crises/{id}?lang=de");
        Assert.Equal("en", german.Content.Headers.ContentLanguage.Single());
        var regional = await _public.GetAsync($"/api/crises/{id}?lang=fa-IR");
        Assert.Equal("fa", regional.Content.Headers.ContentLanguage.Single());
    }

    [Fact]
    public async Task A_policy_and_an_faq_answer_not_translated_are_served_in_the_default_language_marked_with_their_own_lang()
    {
        var content = new JsonObject
        {
            ["policies"] = new JsonArray(new JsonObject
            {
                ["key"] = "refunds",
                ["title"] = CrisisFixtures.Localised(("en", "Refunds"), ("fa", "بازپرداخت")),
                ["text"] = CrisisFixtures.Localised(("en", "Full refunds for any delivery more than 3 days late.")),
                ["changedByCrisis"] = true,
            }),
            ["faq"] = new JsonArray(new JsonObject
            {
                ["id"] = "refund",
                ["category"] = "billing",
                ["order"] = 1,
                ["question"] = CrisisFixtures.Localised(("en", "Will I be refunded?"), ("fa", "آیا پولم پس داده می‌شود؟")),
                ["answer"] = CrisisFixtures.Localised(("en", "Yes, in full.")),
            }),
        };
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en", "fa"), content);

        var policy = Assert.Single((await (await _public.GetAsync($"/api/crises/{id}?lang=fa")).ReadJsonAsync()).GetProperty("policies").EnumerateArray());
        Assert.Equal("بازپرداخت", policy.GetProperty("title").GetString());
        Assert.False(policy.TryGetProperty("titleLang", out _));
        Assert.Equal("Full refunds for any delivery more than 3 days late.", policy.GetProperty("text").GetString());
        Assert.Equal("en", policy.GetProperty("textLang").GetString());
        var entry = Assert.Single((await (await _public.GetAsync($"/api/crises/{id}/faq?lang=fa")).ReadJsonAsync()).GetProperty("entries").EnumerateArray());
        Assert.False(entry.TryGetProperty("questionLang", out _));
        Assert.Equal("en", entry.GetProperty("answerLang").GetString());

        var html = await (await _public.GetAsync($"/api/c/{id}?lang=fa")).Content.ReadAsStringAsync();
        Assert.Contains("<html lang=\"fa\" dir=\"rtl\">", html, StringComparison.Ordinal);
        Assert.Contains("<h3>بازپرداخت</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"text\" lang=\"en\" dir=\"ltr\">Full refunds for any delivery more than 3 days late.</p>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fa;q=0.2, sw;q=0.9, en;q=0.1", "sw")]
    [InlineData("de-DE, fa;q=0.5", "fa")]
    [InlineData("de, fr;q=0.8", "en")]
    [InlineData("gu-IN", "gu")]
    [InlineData("sw;q=0, cy", "cy")]
    public async Task Accept_language_quality_values_choose_the_best_offered_language(string acceptLanguage, string expected)
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages));
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/crises/{id}");
        request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);

        var response = await _public.SendAsync(request);

        Assert.Equal(expected, (await response.ReadJsonAsync()).GetProperty("language").GetString());
        Assert.Contains("Accept-Language", response.Headers.Vary);
    }

    [Theory]
    [InlineData("zz", null, "en")]
    [InlineData("de", "fa, en;q=0.5", "fa")]
    [InlineData("tlh", "cy", "cy")]
    [InlineData("gu-IN", null, "gu")]
    public async Task A_requested_language_the_crisis_lacks_falls_back_as_accept_language_does_and_says_which_was_served(string lang, string? acceptLanguage, string served)
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages));
        foreach (var path in new[] { $"/api/crises/{id}?lang={lang}", $"/api/crises/{id}/faq?lang={lang}", $"/api/crises/{id}/feed.atom?lang={lang}" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (acceptLanguage is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
            }

            var response = await _public.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(served, response.Content.Headers.ContentLanguage.Single());
        }
    }

    [Theory]
    [InlineData("english!")]
    [InlineData("en_GB")]
    [InlineData("")]
    [InlineData("<script>")]
    [InlineData("toolongsubtag")]
    public async Task Malformed_language_tags_are_refused(string lang)
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        await (await _public.GetAsync($"/api/crises/{id}?lang={Uri.EscapeDataString(lang)}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }

    [Fact]
    public async Task Public_reads_carry_a_strong_etag_and_answer_304_until_something_is_published()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages), MultilingualContent());
        foreach (var path in new[] { $"/api/crises/{id}?lang=en", $"/api/crises/{id}/faq?lang=en", $"/api/crises/{id}/feed.atom?lang=en", "/api/crises?lang=en" })
        {
            var first = await _public.GetAsync(path);
            var etag = first.Headers.ETag!;
            Assert.False(etag.IsWeak);
            Assert.Contains("max-age", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
            Assert.True(first.Headers.CacheControl.Public);

            var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.IfNoneMatch.Add(etag);
            var cached = await _public.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
            Assert.Empty(await cached.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, cached.Headers.ETag);
        }

        var before = (await _public.GetAsync($"/api/crises/{id}?lang=en")).Headers.ETag!;
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Service restored in the east." }, publish = true });
        var stale = new HttpRequestMessage(HttpMethod.Get, $"/api/crises/{id}?lang=en");
        stale.Headers.IfNoneMatch.Add(before);
        var fresh = await _public.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.NotEqual(before, fresh.Headers.ETag);
        Assert.Equal("Service restored in the east.", (await fresh.ReadJsonAsync()).GetProperty("updates")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Drafts_stay_private_until_published()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages));
        await (await _public.GetAsync($"/api/crises/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);

        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/activate");
        var page = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal(0, page.GetProperty("faqCount").GetInt32());

        await (await _admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", MultilingualContent())).ReadJsonAsync();
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Draft wording" } });
        var unchanged = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal(0, unchanged.GetProperty("faqCount").GetInt32());
        Assert.Empty(unchanged.GetProperty("updates").EnumerateArray());

        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/content/publish");
        var published = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal(2, published.GetProperty("faqCount").GetInt32());
        Assert.Empty(published.GetProperty("updates").EnumerateArray());
    }

    [Fact]
    public async Task Draft_updates_appear_only_once_published()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var next = DateTimeOffset.UtcNow.AddHours(4);
        var draft = await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Crews are working overnight." }, nextUpdateExpectedAt = next });
        Assert.Equal(JsonValueKind.Null, draft.GetProperty("publishedAt").ValueKind);

        var updateId = draft.GetProperty("id").GetString();
        var published = await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates/{updateId}/publish");
        Assert.NotEqual(JsonValueKind.Null, published.GetProperty("publishedAt").ValueKind);

        var page = await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync();
        Assert.Equal("Crews are working overnight.", page.GetProperty("updates")[0].GetProperty("text").GetString());
        Assert.Equal(next.ToUnixTimeSeconds(), page.GetProperty("nextUpdateExpectedAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Contains("update.publish", await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Fact]
    public async Task Ended_crises_stay_readable_and_archived_ones_disappear()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/end");
        Assert.Equal("ended", (await (await _public.GetAsync($"/api/crises/{id}")).ReadJsonAsync()).GetProperty("status").GetString());

        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/archive");
        await (await _public.GetAsync($"/api/crises/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        var list = await (await _public.GetAsync("/api/crises")).ReadJsonAsync();
        Assert.DoesNotContain(list.GetProperty("crises").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Theory]
    [InlineData("fa", "دوباره سرویس", "resume")]
    [InlineData("fa", "سرویس", "refund,resume")]
    [InlineData("fa", "بازپرداخت", "")]
    [InlineData("gu", "સેવા", "resume")]
    [InlineData("en", "RESUME", "resume")]
    [InlineData("en", "résumé upload", "resume")]
    [InlineData("en", "refunded every", "refund")]
    [InlineData("en", "refunded tomorrow", "")]
    [InlineData("cy", "ad-daliad", "refund")]
    public async Task Faq_search_is_case_and_diacritics_insensitive_in_any_script(string language, string query, string expected)
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages), MultilingualContent());

        var faq = await (await _public.GetAsync($"/api/crises/{id}/faq?lang={language}&q={Uri.EscapeDataString(query)}")).ReadJsonAsync();

        var found = faq.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(expected.Length == 0 ? [] : expected.Split(','), found);
        Assert.Equal(query, faq.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Faq_lists_entries_in_order_in_the_readers_language()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis(AllLanguages), MultilingualContent());

        var faq = await (await _public.GetAsync($"/api/crises/{id}/faq?lang=fa")).ReadJsonAsync();

        Assert.Equal("rtl", faq.GetProperty("dir").GetString());
        var entries = faq.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["refund", "resume"], entries.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("Will I be refunded?", entries[0].GetProperty("question").GetString());
        Assert.Equal("بله، برای هر روز بدون سرویس.", entries[0].GetProperty("answer").GetString());
        await (await _public.GetAsync($"/api/crises/{id}/faq?q={new string('x', 201)}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }

    [Fact]
    public async Task The_atom_feed_has_one_entry_per_published_update_in_each_language()
    {
        var id = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en", "fa"));
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "First update", fa = "به‌روزرسانی اول" }, publish = true });
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Second update" }, publish = true });
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Not yet" } });

        var response = await _public.GetAsync($"/api/crises/{id}/feed.atom?lang=fa");
        Assert.Equal("application/atom+xml", response.Content.Headers.ContentType!.MediaType);
        var feed = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace atom = "http://www.w3.org/2005/Atom";

        Assert.Equal(atom + "feed", feed.Root!.Name);
        Assert.Equal("fa", feed.Root.Attribute(XNamespace.Xml + "lang")!.Value);
        Assert.Equal(CrisisFixtures.Titles["fa"], feed.Root.Element(atom + "title")!.Value);
        var entries = feed.Root.Elements(atom + "entry").ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(["Second update", "به‌روزرسانی اول"], entries.Select(e => e.Element(atom + "content")!.Value));
        Assert.All(entries, e => Assert.StartsWith("urn:uuid:", e.Element(atom + "id")!.Value, StringComparison.Ordinal));
        Assert.Equal(2, entries.Select(e => e.Element(atom + "id")!.Value).Distinct().Count());
        var alternates = feed.Descendants(atom + "link").Where(l => l.Attribute("rel")?.Value == "alternate").ToList();
        Assert.Equal(3, alternates.Count);
        Assert.All(alternates, l => Assert.Equal("text/html", l.Attribute("type")!.Value));
        Assert.All(alternates, l => Assert.EndsWith($"/api/c/{id}?lang=fa", l.Attribute("href")!.Value, StringComparison.Ordinal));

        var parsed = await AtomParser.ParseAsync(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, parsed.GetProperty("items").GetArrayLength());
        Assert.Equal("atom10", parsed.GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_atom_feed_links_the_organisations_own_page_as_html()
    {
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["publicPageUrl"] = "https://status.example.org/flooding";
        var id = await CrisisFixtures.CreateActiveAsync(_admin, crisis);

        var feed = XDocument.Parse(await (await _public.GetAsync($"/api/crises/{id}/feed.atom")).Content.ReadAsStringAsync());
        XNamespace atom = "http://www.w3.org/2005/Atom";

        var alternate = Assert.Single(feed.Descendants(atom + "link"), l => l.Attribute("rel")?.Value == "alternate");
        Assert.Equal("text/html", alternate.Attribute("type")?.Value);
        Assert.Equal("https://status.example.org/flooding", alternate.Attribute("href")!.Value);
    }

    [Fact]
    public async Task Script_in_admin_content_reaches_neither_page_nor_feed_as_markup()
    {
        const string hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>";
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["summary"] = CrisisFixtures.Localised(("en", hostile));
        var id = await CrisisFixtures.CreateActiveAsync(_admin, crisis);
        await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/updates", new { text = new { en = hostile }, publish = true });

        var pageJson = await (await _public.GetAsync($"/api/crises/{id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", pageJson, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", pageJson, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(hostile, JsonDocument.Parse(pageJson).RootElement.GetProperty("summary").GetString());

        var feedXml = await (await _public.GetAsync($"/api/crises/{id}/feed.atom")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", feedXml, StringComparison.OrdinalIgnoreCase);
        var feed = XDocument.Parse(feedXml);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var content = feed.Root!.Element(atom + "entry")!.Element(atom + "content")!;
        Assert.Equal("text", content.Attribute("type")!.Value);
        Assert.Empty(content.Elements());
        Assert.Equal(hostile, content.Value);
    }

    [Fact]
    public async Task Unknown_and_malformed_crisis_ids_are_refused_on_every_public_read()
    {
        foreach (var suffix in new[] { "", "/faq", "/feed.atom" })
        {
            await (await _public.GetAsync($"/api/crises/no-such-crisis{suffix}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
            await (await _public.GetAsync($"/api/crises/x'or'1'%3D'1{suffix}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        }
    }
}
