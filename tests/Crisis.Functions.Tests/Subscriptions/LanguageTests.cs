using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>One app with a crisis in all six catalogue languages, in the Tehran time zone.</summary>
public sealed class SixLanguagesFixture : IAsyncLifetime
{
    public static readonly string[] All = ["en", "cy", "gu", "id", "sw", "fa"];

    public static readonly Dictionary<string, string> Updates = new()
    {
        ["en"] = "The depots reopen on Monday morning. Orders already paid for will be delivered first.",
        ["cy"] = "Bydd y depos yn ailagor fore Llun. Bydd archebion sydd wedi'u talu'n barod yn cael eu danfon gyntaf.",
        ["gu"] = "ડેપો સોમવારે સવારે ફરી ખુલશે. જે ઓર્ડરની ચુકવણી થઈ ગઈ છે તે પહેલા પહોંચાડવામાં આવશે.",
        ["id"] = "Depo dibuka kembali pada Senin pagi. Pesanan yang sudah dibayar akan dikirim lebih dulu.",
        ["sw"] = "Maghala yatafunguliwa tena Jumatatu asubuhi. Oda zilizokwisha lipiwa zitafikishwa kwanza.",
        ["fa"] = "انبارها دوشنبه صبح دوباره باز می‌شوند. سفارش‌هایی که پرداخت شده‌اند زودتر فرستاده می‌شوند.",
    };

    public SubscriptionFixture F { get; private set; } = null!;

    public string CrisisId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        F = await SubscriptionFixture.StartAsync();
        var crisis = CrisisFixtures.NewCrisis(All);
        crisis["timeZone"] = "Asia/Tehran";
        CrisisId = await CrisisFixtures.CreateActiveAsync(F.Admin, crisis);
    }

    public async Task DisposeAsync() => await F.DisposeAsync();
}

public sealed class LanguageTests(SixLanguagesFixture six) : IClassFixture<SixLanguagesFixture>
{
    private readonly SubscriptionFixture _f = six.F;

    public static TheoryData<string> Languages() => [.. SixLanguagesFixture.All];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_subscriber_gets_confirmation_update_and_unsubscribe_messages_entirely_in_their_language(string language)
    {
        var address = $"reader.{language}@example.org";
        var title = CrisisFixtures.Titles[language];
        (await _f.SubscribeAsync(new { email = address, scope = six.CrisisId, language })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();

        var confirmation = Assert.Single(MailsTo(address));
        CatalogueAssertions.InLanguage(confirmation, language, MessageKeys.ConfirmSubject, [MessageKeys.ConfirmBody, MessageKeys.ScopeCrisis, MessageKeys.FooterManage, MessageKeys.FooterUnsubscribe]);
        Assert.Contains(title, Mime.Decode(confirmation), StringComparison.Ordinal);
        var confirmed = await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(confirmation), "confirm"), null);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);

        var published = await (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{six.CrisisId}/updates", new { text = SixLanguagesFixture.Updates, publish = true })).ReadJsonAsync();
        var publishedAt = published.GetProperty("publishedAt").GetDateTimeOffset();
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var update = Assert.Single(MailsTo(address), m => Mime.Subject(m) == MessageCatalogue.Text(MessageKeys.UpdateSubject, language, ("title", title)));
        CatalogueAssertions.InLanguage(update, language, MessageKeys.UpdateSubject, [MessageKeys.UpdateBody, MessageKeys.FooterManage, MessageKeys.FooterUnsubscribe]);
        var text = Mime.Decode(update);
        Assert.Contains(SixLanguagesFixture.Updates[language], text, StringComparison.Ordinal);
        Assert.Contains(LocalTimes.Format(publishedAt, "Asia/Tehran", language), text, StringComparison.Ordinal);
        Assert.Contains("UTC+03:30", text, StringComparison.Ordinal);
        Assert.All(SixLanguagesFixture.Updates.Where(u => u.Key != language), other => Assert.DoesNotContain(other.Value, text, StringComparison.Ordinal));

        var unsubscribe = SubscriptionFixture.PathOf(Mime.Header(update, "List-Unsubscribe")!.Trim('<', '>'));
        var left = await _f.Client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        await _f.RunTimerAsync();

        var farewell = Assert.Single(MailsTo(address), m => Mime.Subject(m) == MessageCatalogue.Text(MessageKeys.UnsubscribedSubject, language));
        CatalogueAssertions.InLanguage(farewell, language, MessageKeys.UnsubscribedSubject, [MessageKeys.UnsubscribedBody]);
        Assert.Equal(3, MailsTo(address).Count);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_webhook_subscriber_gets_confirmation_update_and_unsubscribe_events_titled_in_their_language(string language)
    {
        var path = "six-" + language;
        var title = CrisisFixtures.Titles[language];
        (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url(path), scope = six.CrisisId, language })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();

        var confirm = SubscriptionFixture.Json(Assert.Single(_f.DeliveredTo(path)));
        Assert.Equal("subscription.confirm", confirm.GetProperty("type").GetString());
        Assert.Equal(language, confirm.GetProperty("language").GetString());
        Assert.Equal(MessageCatalogue.Text(MessageKeys.ConfirmSubject, language), confirm.GetProperty("title").GetString());
        (await _f.Client.PostAsync(SubscriptionFixture.PathOf(confirm.GetProperty("confirmUrl").GetString()!), null)).EnsureSuccessStatusCode();

        (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{six.CrisisId}/updates", new { text = SixLanguagesFixture.Updates, publish = true })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var update = SubscriptionFixture.Json(Assert.Single(_f.DeliveredTo(path), d => SubscriptionFixture.Type(d) == "crisis.update"));
        Assert.Equal(MessageCatalogue.Text(MessageKeys.UpdateSubject, language, ("title", title)), update.GetProperty("title").GetString());
        Assert.Equal(language, update.GetProperty("language").GetString());
        Assert.Equal(SixLanguagesFixture.Updates[language], update.GetProperty("update").GetProperty("text").GetString());

        var unsubscribe = SubscriptionFixture.PathOf(update.GetProperty("links").GetProperty("unsubscribe").GetString()!);
        (await _f.Client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();

        var ended = SubscriptionFixture.Json(Assert.Single(_f.DeliveredTo(path), d => SubscriptionFixture.Type(d) == "subscription.ended"));
        Assert.Equal(MessageCatalogue.Text(MessageKeys.UnsubscribedSubject, language), ended.GetProperty("title").GetString());
        Assert.Equal(language, ended.GetProperty("language").GetString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task An_sms_subscriber_gets_an_update_that_fits_the_configured_segments_with_the_page_and_stop_links_whole(string language)
    {
        var phone = "+44770090" + (1000 + Array.IndexOf(SixLanguagesFixture.All, language)).ToString(CultureInfo.InvariantCulture);
        (await _f.SubscribeAsync(new { phone, scope = six.CrisisId, language })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmation = Assert.Single(_f.Sms.Received, s => s.To == phone);
        Assert.True(SmsSegments.Measure(confirmation.Message).Segments <= new SmsOptions().MaxSegments);
        await _f.Client.PostAsync(SubscriptionFixture.LinkIn(confirmation.Message, "confirm"), null);

        var longText = SixLanguagesFixture.All.ToDictionary(l => l, l => string.Join(" ", Enumerable.Repeat(SixLanguagesFixture.Updates[l], 12)));
        await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{six.CrisisId}/updates", new { text = longText, publish = true });
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var sms = _f.Sms.Received.Last(s => s.To == phone).Message;
        var measured = SmsSegments.Measure(sms);
        Assert.True(measured.Segments <= new SmsOptions().MaxSegments, $"{measured}: {sms}");
        Assert.Equal(language is "fa" or "gu" ? SmsEncoding.Ucs2 : SmsEncoding.Gsm7, measured.Encoding);
        Assert.StartsWith(CrisisFixtures.Titles[language] + ": ", sms, StringComparison.Ordinal);
        Assert.Contains(SixLanguagesFixture.Updates[language][..20], sms, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{six.CrisisId}?lang={language}", sms, StringComparison.Ordinal);
        var pageLink = sms[sms.IndexOf("http", StringComparison.Ordinal)..(sms.IndexOf($"?lang={language}", StringComparison.Ordinal) + 6 + language.Length)];
        Assert.Contains(" " + MessageCatalogue.Isolate(pageLink, language) + " ", sms, StringComparison.Ordinal);
        Assert.Equal(language == "fa", sms.Contains('\u2068' + pageLink + '\u2069', StringComparison.Ordinal));
        var stop = MessageCatalogue.Template(MessageKeys.SmsStop, language).Replace("{link}", "", StringComparison.Ordinal);
        Assert.Contains(stop, sms, StringComparison.Ordinal);
        var unsubscribe = SubscriptionFixture.LinkIn(sms, "unsubscribe");
        Assert.EndsWith(unsubscribe + (language == "fa" ? "\u2069" : ""), sms, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.GetAsync(unsubscribe)).StatusCode);
    }

    [Fact]
    public async Task A_persian_sms_update_cut_inside_an_isolated_run_closes_the_isolate_before_the_page_and_stop_links()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        const string phone = "+447700902001";
        (await _f.SubscribeAsync(new { phone, scope = crisis, language = "fa" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Assert.Single(_f.Sms.Received, s => s.To == phone).Message, "confirm"), null);

        // An order number list written left to right inside the Persian text, long enough that the cut falls inside it.
        var orders = string.Join(" ", Enumerable.Range(1000, 120).Select(n => "#A-" + n.ToString(CultureInfo.InvariantCulture)));
        var text = new { en = "Orders delayed: " + orders, fa = "سفارش‌های با تأخیر: \u2066" + orders + "\u2069 به زودی فرستاده می‌شوند." };
        (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/updates", new { text, publish = true })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var sms = _f.Sms.Received.Last(s => s.To == phone).Message;
        Assert.True(SmsSegments.Measure(sms).Segments <= new SmsOptions().MaxSegments, sms);
        Assert.Contains("#A-1000", sms, StringComparison.Ordinal);
        Assert.DoesNotContain("#A-1119", sms, StringComparison.Ordinal);
        Assert.Null(Crisis.Functions.Common.UnicodeText.Problem(sms));
        Assert.Contains("…\u2069 ", sms, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{crisis}?lang=fa", sms, StringComparison.Ordinal);
        var unsubscribe = SubscriptionFixture.LinkIn(sms, "unsubscribe");
        Assert.EndsWith(unsubscribe + "\u2069", sms, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.GetAsync(unsubscribe)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_link_pages_answer_in_the_language_asked_for_by_lang_or_accept_language(string language)
    {
        (await _f.SubscribeAsync(new { email = $"pages.{language}@example.org", scope = six.CrisisId, language = "en" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var sent = SubscriptionFixture.LinkIn(Mime.Decode(Assert.Single(MailsTo($"pages.{language}@example.org"))), "confirm");
        Assert.EndsWith("&lang=en", sent, StringComparison.Ordinal);
        var confirm = sent[..sent.IndexOf("&lang=", StringComparison.Ordinal)];
        using var asSent = new HttpRequestMessage(HttpMethod.Get, sent);
        asSent.Headers.AcceptLanguage.ParseAdd(language);
        Assert.Contains("<html lang=\"en\" dir=\"ltr\">", await (await _f.Client.SendAsync(asSent)).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var byQuery = await (await _f.Client.GetAsync(confirm + "&lang=" + language)).Content.ReadAsStringAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, confirm);
        request.Headers.AcceptLanguage.ParseAdd(language + "-XX, en;q=0.5");
        var byHeader = await (await _f.Client.SendAsync(request)).Content.ReadAsStringAsync();

        foreach (var page in new[] { byQuery, byHeader })
        {
            Assert.Contains($"<html lang=\"{language}\" dir=\"{(language == "fa" ? "rtl" : "ltr")}\">", page, StringComparison.Ordinal);
            Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageConfirmTitle, language)), page, StringComparison.Ordinal);
            Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageConfirmButton, language)), page, StringComparison.Ordinal);
        }

        using var confirmRequest = new HttpRequestMessage(HttpMethod.Post, confirm + "&lang=" + language);
        confirmRequest.Headers.Accept.ParseAdd("text/html");
        var done = await _f.Client.SendAsync(confirmRequest);
        Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageConfirmedText, language)), await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var again = new HttpRequestMessage(HttpMethod.Post, confirm + "&lang=" + language);
        again.Headers.Accept.ParseAdd("text/html");
        var used = await _f.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.Conflict, used.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageLinkUsedText, language)), await used.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_link_page_says_so_in_the_readers_language()
    {
        var page = await _f.Client.GetAsync("/api/subscriptions/unsubscribe?token=not-a-token&lang=cy");

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<html lang=\"cy\" dir=\"ltr\">", html, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageLinkInvalidText, "cy")), html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("")]
    [InlineData("UTC+3")]
    public async Task A_crisis_time_zone_that_is_not_an_iana_id_is_refused_naming_the_field_and_nothing_is_created(string zone)
    {
        var before = (await (await _f.Admin.GetAsync("/api/admin/crises")).ReadJsonAsync()).ToString();
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["timeZone"] = zone;

        var response = await _f.Admin.PostAsJsonAsync("/api/admin/crises", crisis);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Crisis.Functions.Hosting.Problems.ValidationFailed);
        Assert.Contains("IANA", problem.GetProperty("errors").GetProperty("timeZone")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await (await _f.Admin.GetAsync("/api/admin/crises")).ReadJsonAsync()).ToString());
    }

    [Fact]
    public async Task An_update_of_a_crisis_without_a_time_zone_gives_its_time_in_utc_with_the_offset()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "cy"));
        const string address = "utc.reader@example.org";
        (await _f.SubscribeAsync(new { email = address, scope = crisis, language = "cy" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        (await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(Assert.Single(MailsTo(address))), "confirm"), null)).EnsureSuccessStatusCode();

        var text = new { en = SixLanguagesFixture.Updates["en"], cy = SixLanguagesFixture.Updates["cy"] };
        var published = await (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/updates", new { text, publish = true })).ReadJsonAsync();
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var update = Mime.Decode(Assert.Single(MailsTo(address), m => Mime.Subject(m) == MessageCatalogue.Text(MessageKeys.UpdateSubject, "cy", ("title", CrisisFixtures.Titles["cy"]))));
        var at = published.GetProperty("publishedAt").GetDateTimeOffset().ToUniversalTime();
        Assert.Contains($"{at:HH:mm} (UTC+00:00)", update, StringComparison.Ordinal);
        Assert.DoesNotContain("Asia/Tehran", update, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crisis_reads_times_in_utc_until_given_a_time_zone_which_an_edit_can_change()
    {
        var id = await CrisisFixtures.CreateAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        Assert.Equal("UTC", (await (await _f.Admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync()).GetProperty("timeZone").GetString());

        var edited = await _f.Admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new JsonObject { ["timeZone"] = "Africa/Nairobi" });

        Assert.Equal("Africa/Nairobi", (await edited.ReadJsonAsync()).GetProperty("timeZone").GetString());
    }

    private List<string> MailsTo(string address) => [.. _f.Smtp.Messages().Where(m => Mime.Header(m, "To") == address)];
}
