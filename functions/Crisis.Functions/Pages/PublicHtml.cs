using System.Globalization;
using System.Text;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Messages;
using Crisis.Functions.PublicPages;

namespace Crisis.Functions.Pages;

/// <summary>What a refused form said about its fields, and what was typed in them, to show the form again.</summary>
public sealed record FormErrors(IReadOnlyDictionary<string, string[]> Fields, IReadOnlyDictionary<string, string> Values)
{
    public static readonly FormErrors None = new(new Dictionary<string, string[]>(), new Dictionary<string, string>());

    public string Value(string field) => Values.GetValueOrDefault(field) ?? "";
}

/// <summary>
/// The public crisis page, its FAQ and the crisis list as HTML, rendered from the published JSON documents (so the
/// HTML says exactly what the JSON page says). Every word comes from the catalogue in the page's language; every
/// value is encoded, and a text shown in the crisis' default language because it is missing in the page's carries
/// its own lang and dir. Links change language with ?lang=; forms work without script.
/// </summary>
public static class PublicHtml
{
    /// <summary>The short, shareable address of the public pages (under the host's api prefix).</summary>
    public const string Root = "/api/c";

    public const string SubscribeForm = "subscribe";
    public const string AskForm = "ask";

    public static string PagePath(string crisisId) => Root + "/" + crisisId;

    public static string FaqPath(string crisisId) => PagePath(crisisId) + "/faq";

    public static string SubscribePath(string crisisId) => PagePath(crisisId) + "/subscribe";

    public static string AskPath(string crisisId) => PagePath(crisisId) + "/questions";

    public static string VotePath(string crisisId, string entryId) => FaqPath(crisisId) + "/" + Uri.EscapeDataString(entryId) + "/votes";

    /// <summary>The id of a FAQ entry's section on the FAQ page (prefixed, so no entry id can take an id the page uses itself).</summary>
    public static string EntryAnchor(string entryId) => "q-" + Uri.EscapeDataString(entryId);

    private static string Lang(string language) => "?lang=" + Uri.EscapeDataString(language);

    /// <summary>The main content of the crisis page: channels by need first, then the timeline and the rest; the subscribe form last.</summary>
    public static HtmlPage.Content CrisisPage(PublicPage page, FormGuard guard, FormErrors? subscribe = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(guard);
        var w = new Writer(page.Language);
        var html = w.Html;
        LanguageSwitcher(w, page.Languages, PagePath(page.CrisisId));
        html.Append("<h1").Append(w.LangOf(page.TitleLang)).Append('>').Append(HtmlPage.Encode(page.Title)).Append("</h1>");
        html.Append("<p class=\"text\"").Append(w.LangOf(page.SummaryLang)).Append('>').Append(HtmlPage.Encode(page.Summary)).Append("</p>");
        Facts(w, page);
        if (page.StatusText is { } statusText)
        {
            html.Append("<p class=\"panel text\"").Append(w.LangOf(page.StatusTextLang)).Append('>').Append(HtmlPage.Encode(statusText)).Append("</p>");
        }

        if (page.Channels.Count > 0)
        {
            w.Heading("channels", MessageKeys.PublicChannelsTitle);
            html.Append("<ul class=\"channels\">");
            foreach (var channel in page.Channels)
            {
                html.Append("<li><h3>").Append(w.T(NeedKey(channel.Need))).Append("</h3><p>").Append(w.T(ChannelKey(channel.Channel))).Append(": ")
                    .Append(ContactLink(channel)).Append("</p>");
                if (channel.Note is { } note)
                {
                    html.Append("<p class=\"muted text\"").Append(w.LangOf(channel.NoteLang)).Append('>').Append(HtmlPage.Encode(note)).Append("</p>");
                }

                html.Append("</li>");
            }

            html.Append("</ul>");
        }

        w.Heading("updates", MessageKeys.PublicUpdatesTitle);
        if (page.Updates.Count == 0)
        {
            html.Append("<p>").Append(w.T(MessageKeys.PublicUpdatesNone)).Append("</p>");
        }
        else
        {
            html.Append("<ol class=\"timeline\">");
            foreach (var update in page.Updates)
            {
                html.Append("<li><p class=\"muted\">").Append(w.Time(update.PublishedAt, page.TimeZone)).Append("</p><p class=\"text\"").Append(w.LangOf(update.TextLang)).Append('>')
                    .Append(HtmlPage.Encode(update.Text)).Append("</p>");
                if (update.NextUpdateExpectedAt is { } next)
                {
                    html.Append("<p class=\"muted\">").Append(w.T(MessageKeys.PublicNextUpdate, ("time", w.TimeText(next, page.TimeZone)))).Append("</p>");
                }

                html.Append("</li>");
            }

            html.Append("</ol>");
        }

        if (page.KeyDates.Count > 0)
        {
            w.Heading("key-dates", MessageKeys.PublicKeyDatesTitle);
            html.Append("<dl>");
            foreach (var date in page.KeyDates)
            {
                html.Append("<dt><time datetime=\"").Append(date.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("\">")
                    .Append(HtmlPage.Encode(w.Date(date.Date))).Append("</time></dt><dd").Append(w.LangOf(date.LabelLang)).Append('>').Append(HtmlPage.Encode(date.Label)).Append("</dd>");
            }

            html.Append("</dl>");
        }

        if (page.Policies.Count > 0)
        {
            w.Heading("policies", MessageKeys.PublicPoliciesTitle);
            foreach (var policy in page.Policies)
            {
                html.Append("<h3").Append(w.LangOf(policy.TitleLang)).Append('>').Append(HtmlPage.Encode(policy.Title)).Append("</h3>");
                if (policy.ChangedByCrisis)
                {
                    html.Append("<p><span class=\"status\">").Append(w.T(MessageKeys.PublicPolicyChanged)).Append("</span></p>");
                }

                html.Append("<p class=\"text\"").Append(w.LangOf(policy.TextLang)).Append('>').Append(HtmlPage.Encode(policy.Text)).Append("</p>");
            }
        }

        if (page.Resources.Count > 0)
        {
            w.Heading("resources", MessageKeys.PublicResourcesTitle);
            html.Append("<ul>");
            foreach (var resource in page.Resources)
            {
                html.Append("<li>").Append(SafeLink(resource.Url, resource.Title, resource.TitleLang is null ? "" : w.LangOf(resource.TitleLang)))
                    .Append(" <span class=\"muted\">(").Append(w.T(ResourceKey(resource.Kind))).Append(")</span>");
                if (resource.Description is { } description)
                {
                    html.Append("<br><span").Append(w.LangOf(resource.DescriptionLang)).Append('>').Append(HtmlPage.Encode(description)).Append("</span>");
                }

                html.Append("</li>");
            }

            html.Append("</ul>");
        }

        w.Heading("faq", MessageKeys.PublicFaqTitle);
        SearchForm(w, page.CrisisId, null);
        html.Append("<p><a href=\"").Append(HtmlPage.Encode(FaqPath(page.CrisisId) + Lang(page.Language))).Append("\">")
            .Append(w.T(MessageKeys.PublicFaqAll, ("count", MessageCatalogue.Number(page.FaqCount, w.Chrome)))).Append("</a></p>");

        w.Heading("subscribe", MessageKeys.PublicSubscribeTitle);
        SubscribeFormHtml(w, page, guard, subscribe ?? FormErrors.None);
        html.Append("<p><a href=\"").Append(HtmlPage.Encode(page.Links.Feed)).Append("\" type=\"application/atom+xml\">").Append(w.T(MessageKeys.PublicFeed)).Append("</a></p>");
        return new HtmlPage.Content(page.Language, page.Title, html.ToString());
    }

    /// <summary>The FAQ, or the entries matching a search, each with its "was this helpful?" buttons; then the form to ask what it does not answer.</summary>
    public static HtmlPage.Content FaqPage(PublicPage page, PublicFaq faq, FormGuard guard, FormErrors? ask = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(faq);
        ArgumentNullException.ThrowIfNull(guard);
        var w = new Writer(page.Language);
        var html = w.Html;
        var title = w.Text(MessageKeys.PublicFaqPageTitle, ("title", page.Title));
        LanguageSwitcher(w, page.Languages, FaqPath(page.CrisisId), faq.Query);
        html.Append("<p><a href=\"").Append(HtmlPage.Encode(PagePath(page.CrisisId) + Lang(page.Language))).Append("\">").Append(w.T(MessageKeys.PublicBackToPage, ("title", page.Title))).Append("</a></p>");
        html.Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1>");
        SearchForm(w, page.CrisisId, faq.Query);
        if (faq.Query is { } query)
        {
            html.Append("<p role=\"status\">").Append(faq.Entries.Count == 0
                ? w.T(MessageKeys.PublicFaqNoResults, ("query", query))
                : w.T(MessageKeys.PublicFaqResults, ("query", query), ("count", MessageCatalogue.Number(faq.Entries.Count, w.Chrome)))).Append("</p>");
            html.Append("<p><a href=\"").Append(HtmlPage.Encode(FaqPath(page.CrisisId) + Lang(page.Language))).Append("\">").Append(w.T(MessageKeys.PublicFaqShowAll)).Append("</a></p>");
        }
        else if (faq.Entries.Count == 0)
        {
            html.Append("<p>").Append(w.T(MessageKeys.PublicFaqEmpty)).Append("</p>");
        }

        foreach (var entry in faq.Entries)
        {
            var id = EntryAnchor(entry.Id);
            html.Append("<section aria-labelledby=\"").Append(HtmlPage.Encode(id)).Append("\"><h2 id=\"").Append(HtmlPage.Encode(id)).Append('"').Append(w.LangOf(entry.QuestionLang)).Append('>')
                .Append(HtmlPage.Encode(entry.Question)).Append("</h2><p class=\"text\"").Append(w.LangOf(entry.AnswerLang)).Append('>').Append(HtmlPage.Encode(entry.Answer)).Append("</p>");
            var action = VotePath(page.CrisisId, entry.Id);
            html.Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(action + Lang(page.Language))).Append("\">").Append(guard.HiddenField(action))
                .Append("<fieldset><legend>").Append(w.T(MessageKeys.PublicFaqHelpful)).Append("</legend>")
                .Append("<button type=\"submit\" name=\"helpful\" value=\"true\">").Append(w.T(MessageKeys.PublicFaqYes)).Append("</button> ")
                .Append("<button type=\"submit\" name=\"helpful\" value=\"false\" class=\"secondary\">").Append(w.T(MessageKeys.PublicFaqNo)).Append("</button></fieldset></form></section>");
        }

        w.Heading(AskForm, MessageKeys.PublicAskTitle);
        var errors = ask ?? FormErrors.None;
        var askAction = AskPath(page.CrisisId);
        html.Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(askAction + Lang(page.Language))).Append("\" novalidate>").Append(guard.HiddenField(askAction));
        w.ErrorSummary(errors);
        w.Field("text", MessageKeys.PublicAskQuestion, null, errors, "<textarea id=\"text\" name=\"text\" required maxlength=\"1000\"", errors.Value("text"), multiline: true);
        w.Field("contact", MessageKeys.PublicAskContact, MessageKeys.PublicAskContactHint, errors, "<input type=\"email\" id=\"contact\" name=\"contact\" autocomplete=\"email\" maxlength=\"254\"", errors.Value("contact"));
        html.Append("<button type=\"submit\">").Append(w.T(MessageKeys.PublicAskButton)).Append("</button></form>");
        return new HtmlPage.Content(page.Language, title, html.ToString());
    }

    /// <summary>The list of public crises, each linked in its own best language.</summary>
    public static HtmlPage.Content Index(string language, IReadOnlyList<PublicCrisisListItem> crises, IReadOnlyList<string> languages)
    {
        ArgumentNullException.ThrowIfNull(crises);
        var w = new Writer(language);
        var html = w.Html;
        LanguageSwitcher(w, languages, Root);
        var title = w.Text(MessageKeys.PublicIndexTitle);
        html.Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1>");
        if (crises.Count == 0)
        {
            html.Append("<p>").Append(w.T(MessageKeys.PublicIndexEmpty)).Append("</p>");
        }
        else
        {
            html.Append("<ul class=\"crises\">");
            foreach (var crisis in crises)
            {
                var lang = crisis.Language == language ? "" : w.LangOf(crisis.Language);
                html.Append("<li><h2").Append(lang).Append("><a href=\"").Append(HtmlPage.Encode(PagePath(crisis.Id) + Lang(crisis.Language))).Append("\">").Append(HtmlPage.Encode(crisis.Title)).Append("</a></h2><p>")
                    .Append("<span class=\"status\">").Append(w.T(StatusKey(crisis.Status))).Append("</span> <span class=\"status\">").Append(w.T(SeverityKey(crisis.Severity))).Append("</span></p></li>");
            }

            html.Append("</ul>");
        }

        return new HtmlPage.Content(language, title, html.ToString());
    }

    /// <summary>A short page answering a form: what happened, and the way back to the page it came from.</summary>
    public static HtmlPage.Content Answer(string language, string titleKey, string textKey, string backPath, string backTitle)
    {
        var w = new Writer(language);
        var title = w.Text(titleKey);
        w.Html.Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1><p role=\"status\">").Append(w.T(textKey)).Append("</p><p><a href=\"").Append(HtmlPage.Encode(backPath)).Append("\">")
            .Append(w.T(MessageKeys.PublicBackToPage, ("title", backTitle))).Append("</a></p>");
        return new HtmlPage.Content(language, title, w.Html.ToString());
    }

    /// <summary>A page saying that a form was refused, with the problem's own words.</summary>
    public static HtmlPage.Content Refused(string language, string detail, string backPath, string backTitle)
    {
        var w = new Writer(language);
        var title = w.Text(MessageKeys.PublicFormRefusedTitle);
        w.Html.Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1><p class=\"alert\" role=\"alert\">").Append(w.T(MessageKeys.PublicFormRefusedText))
            .Append(" <span lang=\"en\" dir=\"ltr\">").Append(HtmlPage.Encode(detail)).Append("</span></p><p><a href=\"").Append(HtmlPage.Encode(backPath)).Append("\">")
            .Append(w.T(MessageKeys.PublicBackToPage, ("title", backTitle))).Append("</a></p>");
        return new HtmlPage.Content(language, title, w.Html.ToString());
    }

    public static HtmlPage.Content NotFound(string language)
    {
        var w = new Writer(language);
        var title = w.Text(MessageKeys.PublicNotFoundTitle);
        w.Html.Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1><p>").Append(w.T(MessageKeys.PublicNotFoundText)).Append("</p><p><a href=\"").Append(Root + Lang(language)).Append("\">")
            .Append(w.T(MessageKeys.PublicIndexTitle)).Append("</a></p>");
        return new HtmlPage.Content(language, title, w.Html.ToString());
    }

    private static void Facts(Writer w, PublicPage page)
    {
        var html = w.Html;
        html.Append("<dl class=\"facts\"><dt>").Append(w.T(MessageKeys.PublicLabelStatus)).Append("</dt><dd><span class=\"status\">").Append(w.T(StatusKey(page.Status))).Append("</span></dd>")
            .Append("<dt>").Append(w.T(MessageKeys.PublicLabelSeverity)).Append("</dt><dd><span class=\"status\">").Append(w.T(SeverityKey(page.Severity))).Append("</span></dd>");
        if (page.LastUpdatedAt is { } last)
        {
            html.Append("<dt>").Append(w.T(MessageKeys.PublicLabelLastUpdated)).Append("</dt><dd>").Append(w.Time(last, page.TimeZone)).Append("</dd>");
        }

        if (page.NextUpdateExpectedAt is { } next)
        {
            html.Append("<dt>").Append(w.T(MessageKeys.PublicLabelNextUpdate)).Append("</dt><dd>").Append(w.Time(next, page.TimeZone)).Append("</dd>");
        }

        if (page.ExpectedEndAt is { } end)
        {
            html.Append("<dt>").Append(w.T(MessageKeys.PublicLabelExpectedEnd)).Append("</dt><dd>").Append(w.Time(end, page.TimeZone)).Append("</dd>");
        }

        html.Append("</dl>");
    }

    private static void LanguageSwitcher(Writer w, IReadOnlyList<string> languages, string path, string? query = null)
    {
        if (languages.Count < 2)
        {
            return;
        }

        var html = w.Html;
        html.Append("<nav aria-label=\"").Append(w.T(MessageKeys.PublicLanguages)).Append("\"><ul>");
        foreach (var language in languages)
        {
            var href = path + Lang(language) + (string.IsNullOrEmpty(query) ? "" : "&q=" + Uri.EscapeDataString(query));
            html.Append("<li><a href=\"").Append(HtmlPage.Encode(href)).Append("\" hreflang=\"").Append(HtmlPage.Encode(language)).Append("\" lang=\"").Append(HtmlPage.Encode(language))
                .Append("\" dir=\"").Append(Languages.Direction(language)).Append('"');
            if (language == w.Language)
            {
                html.Append(" aria-current=\"page\"");
            }

            html.Append('>').Append(HtmlPage.Encode(LanguageName(language))).Append("</a></li>");
        }

        html.Append("</ul></nav>");
    }

    /// <summary>The language's name in itself, from its own catalogue (or the system's name for a language without one).</summary>
    private static string LanguageName(string language) =>
        MessageCatalogue.Languages.Contains(language)
            ? MessageCatalogue.Text(MessageKeys.PublicLanguageName, language)
            : CultureInfo.GetCultureInfo(language).NativeName;

    private static void SearchForm(Writer w, string crisisId, string? query)
    {
        w.Html.Append("<form method=\"get\" action=\"").Append(HtmlPage.Encode(FaqPath(crisisId))).Append("\" role=\"search\"><input type=\"hidden\" name=\"lang\" value=\"").Append(HtmlPage.Encode(w.Language)).Append("\">")
            .Append("<label for=\"q\">").Append(w.T(MessageKeys.PublicFaqSearchLabel)).Append("</label><input type=\"search\" id=\"q\" name=\"q\" maxlength=\"200\" value=\"").Append(HtmlPage.Encode(query)).Append("\">")
            .Append("<button type=\"submit\">").Append(w.T(MessageKeys.PublicFaqSearchButton)).Append("</button></form>");
    }

    private static void SubscribeFormHtml(Writer w, PublicPage page, FormGuard guard, FormErrors errors)
    {
        var html = w.Html;
        var action = SubscribePath(page.CrisisId);
        html.Append("<p>").Append(w.T(MessageKeys.PublicSubscribeIntro)).Append("</p>")
            .Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(action + Lang(page.Language))).Append("\" novalidate>").Append(guard.HiddenField(action));
        w.ErrorSummary(errors);
        w.Field("email", MessageKeys.PublicSubscribeEmail, null, errors, "<input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"email\" maxlength=\"254\"", errors.Value("email"));
        w.Field("phone", MessageKeys.PublicSubscribePhone, MessageKeys.PublicSubscribePhoneHint, errors, "<input type=\"tel\" id=\"phone\" name=\"phone\" autocomplete=\"tel\" maxlength=\"16\"", errors.Value("phone"));
        var chosen = errors.Values.GetValueOrDefault("language") ?? page.Language;
        html.Append("<label for=\"language\">").Append(w.T(MessageKeys.PublicSubscribeLanguage)).Append("</label>");
        w.FieldError("language", errors);
        html.Append("<select id=\"language\" name=\"language\"").Append(errors.Fields.ContainsKey("language") ? " aria-invalid=\"true\" aria-describedby=\"language-error\"" : "").Append('>');
        foreach (var language in page.Languages)
        {
            html.Append("<option value=\"").Append(HtmlPage.Encode(language)).Append('"').Append(language == chosen ? " selected" : "").Append(" lang=\"").Append(HtmlPage.Encode(language)).Append("\">")
                .Append(HtmlPage.Encode(LanguageName(language))).Append("</option>");
        }

        html.Append("</select>");
        var topics = page.Updates.Select(u => u.Topic).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (topics.Count > 0)
        {
            var ticked = (errors.Values.GetValueOrDefault("topics") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
            html.Append("<fieldset><legend>").Append(w.T(MessageKeys.PublicSubscribeTopics)).Append("</legend><span class=\"hint\">").Append(w.T(MessageKeys.PublicSubscribeTopicsHint)).Append("</span>");
            w.FieldError("topics", errors);
            for (var i = 0; i < topics.Count; i++)
            {
                html.Append("<label class=\"choice\"><input type=\"checkbox\" name=\"topics\" value=\"").Append(HtmlPage.Encode(topics[i])).Append('"')
                    .Append(ticked.Contains(topics[i]) ? " checked" : "").Append("> <bdi>").Append(HtmlPage.Encode(topics[i])).Append("</bdi></label>");
            }

            html.Append("</fieldset>");
        }

        html.Append("<button type=\"submit\">").Append(w.T(MessageKeys.PublicSubscribeButton)).Append("</button></form>");
    }

    /// <summary>The channel's address as a link (a call, a text, a mail or a web page), shown without its scheme where people would not write one.</summary>
    private static string ContactLink(PublicChannel channel)
    {
        var contact = channel.Contact;
        if (Uri.TryCreate(contact, UriKind.Absolute, out var uri) && uri.Scheme is "tel" or "sms" or "mailto")
        {
            return "<a href=\"" + HtmlPage.Encode(contact) + "\"><bdi>" + HtmlPage.Encode(contact[(uri.Scheme.Length + 1)..]) + "</bdi></a>";
        }

        return SafeLink(contact, contact, "");
    }

    /// <summary>An http(s) address as a link; anything else (a script: address, a handle) only as text.</summary>
    private static string SafeLink(string url, string text, string langAttributes) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? "<a href=\"" + HtmlPage.Encode(uri.AbsoluteUri) + "\"" + langAttributes + "><bdi>" + HtmlPage.Encode(text) + "</bdi></a>"
            : "<bdi" + langAttributes + ">" + HtmlPage.Encode(text) + "</bdi>";

    private static string StatusKey(CrisisStatus status) => status == CrisisStatus.Ended ? MessageKeys.PublicStatusEnded : MessageKeys.PublicStatusActive;

    private static string SeverityKey(Severity severity) => severity switch
    {
        Severity.Minor => MessageKeys.PublicSeverityMinor,
        Severity.Major => MessageKeys.PublicSeverityMajor,
        _ => MessageKeys.PublicSeverityCritical,
    };

    private static string NeedKey(Need need) => need switch
    {
        Need.Technical => MessageKeys.PublicNeedTechnical,
        Need.Delivery => MessageKeys.PublicNeedDelivery,
        Need.Rescheduling => MessageKeys.PublicNeedRescheduling,
        Need.Billing => MessageKeys.PublicNeedBilling,
        Need.Emergency => MessageKeys.PublicNeedEmergency,
        _ => MessageKeys.PublicNeedGeneral,
    };

    private static string ChannelKey(ChannelKind channel) => channel switch
    {
        ChannelKind.LiveChat => MessageKeys.PublicChannelLiveChat,
        ChannelKind.Sms => MessageKeys.PublicChannelSms,
        ChannelKind.Portal => MessageKeys.PublicChannelPortal,
        ChannelKind.Phone => MessageKeys.PublicChannelPhone,
        ChannelKind.Email => MessageKeys.PublicChannelEmail,
        _ => MessageKeys.PublicChannelSocial,
    };

    private static string ResourceKey(ResourceKind kind) => kind switch
    {
        ResourceKind.GovernmentAid => MessageKeys.PublicResourceGovernmentAid,
        ResourceKind.CommunityGroup => MessageKeys.PublicResourceCommunityGroup,
        ResourceKind.SelfCare => MessageKeys.PublicResourceSelfCare,
        _ => MessageKeys.PublicResourceOther,
    };

    /// <summary>Builds one page's HTML in its language: catalogue words (for a language without a catalogue, English), times and fields.</summary>
    private sealed class Writer(string language)
    {
        public StringBuilder Html { get; } = new(8 * 1024);

        public string Language { get; } = language;

        /// <summary>The language the page's own words are in.</summary>
        public string Chrome { get; } = MessageCatalogue.Resolve(language);

        /// <summary>A catalogue text, plain.</summary>
        public string Text(string key, params (string Name, string Value)[] values) => MessageCatalogue.Text(key, Chrome, values);

        /// <summary>A catalogue text, encoded for HTML.</summary>
        public string T(string key, params (string Name, string Value)[] values) => HtmlPage.Encode(Text(key, values));

        /// <summary>The lang and dir of a text shown in another language than the page's (its fallback), else nothing.</summary>
        public string LangOf(string? textLanguage) =>
            textLanguage is null || textLanguage == Language ? "" : $" lang=\"{HtmlPage.Encode(textLanguage)}\" dir=\"{Languages.Direction(textLanguage)}\"";

        public string TimeText(DateTimeOffset time, string timeZone) => LocalTimes.Format(time, timeZone, Chrome);

        public string Time(DateTimeOffset time, string timeZone) =>
            "<time datetime=\"" + time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) + "\">" + HtmlPage.Encode(TimeText(time, timeZone)) + "</time>";

        /// <summary>A calendar day in the reader's language and digits.</summary>
        public string Date(DateOnly date)
        {
            var culture = CultureInfo.GetCultureInfo(Chrome);
            var format = (DateTimeFormatInfo)culture.DateTimeFormat.Clone();
            format.Calendar = new GregorianCalendar();
            return MessageCatalogue.Digits(date.ToString(format.LongDatePattern, format), Chrome);
        }

        public void Heading(string id, string key) => Html.Append("<h2 id=\"").Append(id).Append("\">").Append(T(key)).Append("</h2>");

        /// <summary>When a form was refused: a summary at its top linking to each field named.</summary>
        public void ErrorSummary(FormErrors errors)
        {
            if (errors.Fields.Count == 0)
            {
                return;
            }

            Html.Append("<div class=\"alert\" role=\"alert\"><p>").Append(T(MessageKeys.PublicFormRefusedText)).Append("</p><ul>");
            foreach (var (field, messages) in errors.Fields)
            {
                Html.Append("<li><a href=\"#").Append(HtmlPage.Encode(field)).Append("\"><bdi lang=\"en\">").Append(HtmlPage.Encode(field)).Append("</bdi></a>: <span lang=\"en\" dir=\"ltr\">")
                    .Append(HtmlPage.Encode(string.Join(" ", messages))).Append("</span></li>");
            }

            Html.Append("</ul></div>");
        }

        /// <summary>The problem's message for a field, next to it.</summary>
        public void FieldError(string field, FormErrors errors)
        {
            if (errors.Fields.TryGetValue(field, out var messages))
            {
                Html.Append("<p class=\"error\" id=\"").Append(HtmlPage.Encode(field)).Append("-error\">").Append(T(MessageKeys.PublicFormFieldError)).Append(" <span lang=\"en\" dir=\"ltr\">")
                    .Append(HtmlPage.Encode(string.Join(" ", messages))).Append("</span></p>");
            }
        }

        /// <summary>A labelled field (an opening tag without its end, the value to show) with its hint and, when refused, its error.</summary>
        public void Field(string field, string labelKey, string? hintKey, FormErrors errors, string openTag, string value, bool multiline = false)
        {
            var described = new List<string>();
            Html.Append("<label for=\"").Append(field).Append("\">").Append(T(labelKey));
            if (hintKey is not null)
            {
                Html.Append("<span class=\"hint\" id=\"").Append(field).Append("-hint\">").Append(T(hintKey)).Append("</span>");
                described.Add(field + "-hint");
            }

            Html.Append("</label>");
            FieldError(field, errors);
            Html.Append(openTag);
            if (errors.Fields.ContainsKey(field))
            {
                described.Add(field + "-error");
                Html.Append(" aria-invalid=\"true\"");
            }

            if (described.Count > 0)
            {
                Html.Append(" aria-describedby=\"").Append(string.Join(' ', described)).Append('"');
            }

            Html.Append(multiline ? ">" + HtmlPage.Encode(value) + "</textarea>" : " value=\"" + HtmlPage.Encode(value) + "\">");
        }
    }
}
