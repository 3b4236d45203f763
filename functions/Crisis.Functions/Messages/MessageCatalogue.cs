using System.Collections.Concurrent;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using Crisis.Functions.Common;

namespace Crisis.Functions.Messages;

/// <summary>The names of the texts in the catalogue (Messages/Catalogue.resx and one Catalogue.{language}.resx per language).</summary>
public static class MessageKeys
{
    public const string FooterManage = "Email.Footer.Manage";
    public const string FooterUnsubscribe = "Email.Footer.Unsubscribe";
    public const string ScopeAll = "Scope.All";
    public const string ScopeCrisis = "Scope.Crisis";
    public const string ConfirmSubject = "Confirm.Subject";
    public const string ConfirmBody = "Confirm.Body";
    public const string ConfirmSms = "Confirm.Sms";
    public const string AlreadySubject = "Already.Subject";
    public const string AlreadyBody = "Already.Body";
    public const string AlreadySms = "Already.Sms";
    public const string UpdateSubject = "Update.Subject";
    public const string UpdateBody = "Update.Body";
    public const string UpdateNextExpected = "Update.NextExpected";
    public const string SmsStop = "Sms.Stop";
    public const string UnsubscribedSubject = "Unsubscribed.Subject";
    public const string UnsubscribedBody = "Unsubscribed.Body";
    public const string UnsubscribedSms = "Unsubscribed.Sms";
    public const string EndedSubject = "Ended.Subject";
    public const string EndedBody = "Ended.Body";
    public const string EndedSms = "Ended.Sms";
    public const string AnsweredSubject = "Answered.Subject";
    public const string AnsweredBody = "Answered.Body";
    public const string PageConfirmTitle = "Page.Confirm.Title";
    public const string PageConfirmText = "Page.Confirm.Text";
    public const string PageConfirmButton = "Page.Confirm.Button";
    public const string PageConfirmedTitle = "Page.Confirmed.Title";
    public const string PageConfirmedText = "Page.Confirmed.Text";
    public const string PageUnsubscribeTitle = "Page.Unsubscribe.Title";
    public const string PageUnsubscribeText = "Page.Unsubscribe.Text";
    public const string PageUnsubscribeButton = "Page.Unsubscribe.Button";
    public const string PageUnsubscribedTitle = "Page.Unsubscribed.Title";
    public const string PageUnsubscribedText = "Page.Unsubscribed.Text";
    public const string PageLinkUnusableTitle = "Page.LinkUnusable.Title";
    public const string PageLinkExpiredText = "Page.LinkExpired.Text";
    public const string PageLinkInvalidText = "Page.LinkInvalid.Text";
    public const string PageLinkUsedTitle = "Page.LinkUsed.Title";
    public const string PageLinkUsedText = "Page.LinkUsed.Text";
    public const string PageGoneTitle = "Page.Gone.Title";
    public const string PageGoneText = "Page.Gone.Text";
    public const string PageErrorTitle = "Page.Error.Title";
    public const string PageErrorText = "Page.Error.Text";

    /// <summary>A page or a page's form refused for too many requests from one address: what happened and how long to wait ({seconds}).</summary>
    public const string PageTooManyTitle = "Page.TooMany.Title";
    public const string PageTooManyText = "Page.TooMany.Text";
    public const string ReminderSubject = "Reminder.Subject";
    public const string ReminderBody = "Reminder.Body";
    public const string EscalationSubject = "Escalation.Subject";
    public const string EscalationBody = "Escalation.Body";
    public const string TimeAt = "Time.At";

    /// <summary>The embeddable website banner: the name of its region, its link to the public page, its dismiss button.</summary>
    public const string BannerLabel = "Banner.Label";
    public const string BannerLink = "Banner.Link";
    public const string BannerDismiss = "Banner.Dismiss";

    /// <summary>The ten digits the language writes numbers with, 0 to 9.</summary>
    public const string FormatDigits = "Format.Digits";

    /// <summary>The calendar dates are read in: "gregorian", or "persian" (Solar Hijri, with the Gregorian date beside it).</summary>
    public const string FormatCalendar = "Format.Calendar";

    /// <summary>The first link of every HTML page, to its main content.</summary>
    public const string PageSkipToContent = "Page.SkipToContent";

    // The public HTML pages: crisis page, index, FAQ, forms.
    public const string PublicLanguageName = "Public.LanguageName";
    public const string PublicLanguages = "Public.Languages";
    public const string PublicIndexTitle = "Public.Index.Title";
    public const string PublicIndexEmpty = "Public.Index.Empty";
    public const string PublicStatusActive = "Public.Status.Active";
    public const string PublicStatusEnded = "Public.Status.Ended";
    public const string PublicSeverityMinor = "Public.Severity.Minor";
    public const string PublicSeverityMajor = "Public.Severity.Major";
    public const string PublicSeverityCritical = "Public.Severity.Critical";
    public const string PublicLabelStatus = "Public.Label.Status";
    public const string PublicLabelSeverity = "Public.Label.Severity";
    public const string PublicLabelLastUpdated = "Public.Label.LastUpdated";
    public const string PublicLabelNextUpdate = "Public.Label.NextUpdate";
    public const string PublicLabelExpectedEnd = "Public.Label.ExpectedEnd";
    public const string PublicNextUpdate = "Public.Update.NextExpected";
    public const string PublicChannelsTitle = "Public.Channels.Title";
    public const string PublicNeedTechnical = "Public.Need.Technical";
    public const string PublicNeedDelivery = "Public.Need.Delivery";
    public const string PublicNeedRescheduling = "Public.Need.Rescheduling";
    public const string PublicNeedBilling = "Public.Need.Billing";
    public const string PublicNeedEmergency = "Public.Need.Emergency";
    public const string PublicNeedGeneral = "Public.Need.General";
    public const string PublicChannelLiveChat = "Public.Channel.LiveChat";
    public const string PublicChannelSms = "Public.Channel.Sms";
    public const string PublicChannelPortal = "Public.Channel.Portal";
    public const string PublicChannelPhone = "Public.Channel.Phone";
    public const string PublicChannelEmail = "Public.Channel.Email";
    public const string PublicChannelSocial = "Public.Channel.Social";
    public const string PublicUpdatesTitle = "Public.Updates.Title";
    public const string PublicUpdatesNone = "Public.Updates.None";
    public const string PublicKeyDatesTitle = "Public.KeyDates.Title";
    public const string PublicPoliciesTitle = "Public.Policies.Title";
    public const string PublicPolicyChanged = "Public.Policy.Changed";
    public const string PublicResourcesTitle = "Public.Resources.Title";
    public const string PublicResourceGovernmentAid = "Public.Resource.GovernmentAid";
    public const string PublicResourceCommunityGroup = "Public.Resource.CommunityGroup";
    public const string PublicResourceSelfCare = "Public.Resource.SelfCare";
    public const string PublicResourceOther = "Public.Resource.Other";
    public const string PublicFaqTitle = "Public.Faq.Title";
    public const string PublicFaqPageTitle = "Public.Faq.PageTitle";
    public const string PublicFaqAll = "Public.Faq.All";
    public const string PublicFaqSearchLabel = "Public.Faq.SearchLabel";
    public const string PublicFaqSearchButton = "Public.Faq.SearchButton";
    public const string PublicFaqResults = "Public.Faq.Results";
    public const string PublicFaqNoResults = "Public.Faq.NoResults";
    public const string PublicFaqShowAll = "Public.Faq.ShowAll";
    public const string PublicFaqEmpty = "Public.Faq.Empty";
    public const string PublicFaqHelpful = "Public.Faq.Helpful";
    public const string PublicFaqYes = "Public.Faq.Yes";
    public const string PublicFaqNo = "Public.Faq.No";
    public const string PublicVoteTitle = "Public.Vote.Title";
    public const string PublicVoteText = "Public.Vote.Text";
    public const string PublicAskTitle = "Public.Ask.Title";
    public const string PublicAskQuestion = "Public.Ask.Question";
    public const string PublicAskContact = "Public.Ask.Contact";
    public const string PublicAskContactHint = "Public.Ask.ContactHint";
    public const string PublicAskButton = "Public.Ask.Button";
    public const string PublicAskSentTitle = "Public.Ask.SentTitle";
    public const string PublicAskSentText = "Public.Ask.SentText";
    public const string PublicSubscribeTitle = "Public.Subscribe.Title";
    public const string PublicSubscribeIntro = "Public.Subscribe.Intro";
    public const string PublicSubscribeEmail = "Public.Subscribe.Email";
    public const string PublicSubscribePhone = "Public.Subscribe.Phone";
    public const string PublicSubscribePhoneHint = "Public.Subscribe.PhoneHint";
    public const string PublicSubscribeLanguage = "Public.Subscribe.Language";
    public const string PublicSubscribeTopics = "Public.Subscribe.Topics";
    public const string PublicSubscribeTopicsHint = "Public.Subscribe.TopicsHint";
    public const string PublicSubscribeButton = "Public.Subscribe.Button";
    public const string PublicSubscribeSentTitle = "Public.Subscribe.SentTitle";
    public const string PublicSubscribeSentText = "Public.Subscribe.SentText";
    public const string PublicFeed = "Public.Feed";
    public const string PublicBackToPage = "Public.BackToPage";
    public const string PublicFormRefusedTitle = "Public.Form.RefusedTitle";
    public const string PublicFormRefusedText = "Public.Form.RefusedText";
    public const string PublicFormFieldError = "Public.Form.FieldError";
    public const string PublicNotFoundTitle = "Public.NotFound.Title";
    public const string PublicNotFoundText = "Public.NotFound.Text";
    // (end of the public HTML pages)

    // The link pages: manage, stakeholder actions.
    public const string LinksLanguageName = "Links.LanguageName";
    public const string LinksManageTitle = "Links.Manage.Title";
    public const string LinksManageContact = "Links.Manage.Contact";
    public const string LinksManageScope = "Links.Manage.Scope";
    public const string LinksManageLanguage = "Links.Manage.Language";
    public const string LinksManageTopics = "Links.Manage.Topics";
    public const string LinksManageTopicsAll = "Links.Manage.TopicsAll";
    public const string LinksManageTopicsHint = "Links.Manage.TopicsHint";
    public const string LinksManageChangeHeading = "Links.Manage.ChangeHeading";
    public const string LinksManageSave = "Links.Manage.Save";
    public const string LinksManageSaved = "Links.Manage.Saved";
    public const string LinksFormInvalid = "Links.Form.Invalid";
    public const string LinksManageUnsubscribeHeading = "Links.Manage.UnsubscribeHeading";
    public const string LinksManageEraseHeading = "Links.Manage.EraseHeading";
    public const string LinksManageEraseText = "Links.Manage.EraseText";
    public const string LinksManageEraseLink = "Links.Manage.EraseLink";
    public const string LinksEraseTitle = "Links.Erase.Title";
    public const string LinksEraseText = "Links.Erase.Text";
    public const string LinksEraseButton = "Links.Erase.Button";
    public const string LinksEraseCancel = "Links.Erase.Cancel";
    public const string LinksErasedTitle = "Links.Erased.Title";
    public const string LinksErasedText = "Links.Erased.Text";
    public const string LinksFormRefusedTitle = "Links.FormRefused.Title";
    public const string LinksFormRefusedText = "Links.FormRefused.Text";
    public const string LinksActionTitle = "Links.Action.Title";
    public const string LinksActionCrisis = "Links.Action.Crisis";
    public const string LinksActionDue = "Links.Action.Due";
    public const string LinksActionAcknowledgeHeading = "Links.Action.AcknowledgeHeading";
    public const string LinksActionNewEta = "Links.Action.NewEta";
    public const string LinksActionNote = "Links.Action.Note";
    public const string LinksActionAcknowledgeButton = "Links.Action.AcknowledgeButton";
    public const string LinksActionPostHeading = "Links.Action.PostHeading";
    public const string LinksActionText = "Links.Action.Text";
    public const string LinksActionNextUpdate = "Links.Action.NextUpdate";
    public const string LinksActionReview = "Links.Action.Review";
    public const string LinksActionPostButton = "Links.Action.PostButton";
    public const string LinksAcknowledgedTitle = "Links.Acknowledged.Title";
    public const string LinksPostedTitle = "Links.Posted.Title";
    public const string LinksPostedPublished = "Links.Posted.Published";
    public const string LinksPostedDraft = "Links.Posted.Draft";
    public const string LinksNextDue = "Links.NextDue";
    public const string LinksNothingMoreDue = "Links.NothingMoreDue";
    public const string LinksAnsweredTitle = "Links.Answered.Title";
    public const string LinksAnsweredText = "Links.Answered.Text";
    public const string LinksArchivedTitle = "Links.Archived.Title";
    public const string LinksArchivedText = "Links.Archived.Text";
    public const string LinksActionExpiredText = "Links.ActionExpired.Text";
    public const string LinksActionGoneText = "Links.ActionGone.Text";
    // (end of the link pages)

    // The website banner.
    // (end of the website banner)
}

/// <summary>
/// Every text the product writes itself, per language, from .resx resources with named placeholders ("{title}").
/// English is the neutral catalogue; every other language is one satellite catalogue, found at start, so adding
/// a language is adding its Catalogue.{language}.resx.
/// </summary>
public static partial class MessageCatalogue
{
    public const string Neutral = "en";

    /// <summary>First strong isolate and pop directional isolate (Unicode bidi): a value keeps its own direction inside right-to-left text.</summary>
    public const char FirstStrongIsolate = '\u2068';
    public const char PopDirectionalIsolate = '\u2069';

    public static readonly ResourceManager Resources = new("Crisis.Functions.Messages.Catalogue", typeof(MessageCatalogue).Assembly);

    private static readonly Lazy<IReadOnlyList<string>> Discovered = new(Discover);
    private static readonly ConcurrentDictionary<(string Key, string Language), string> Templates = new();

    /// <summary>The languages with a catalogue: English and every satellite catalogue built with the app.</summary>
    public static IReadOnlyList<string> Languages => Discovered.Value;

    /// <summary>The first of <paramref name="preferences"/> (a tag or its base language) that has a catalogue, else English.</summary>
    public static string Resolve(params string?[] preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        return preferences.Where(p => p is not null)
            .Select(p => Common.Languages.Negotiate(p, null, Languages, ""))
            .FirstOrDefault(match => match.Length > 0) ?? Neutral;
    }

    /// <summary>The language a page answers in: ?lang when it has a catalogue, else the best of Accept-Language, else English.</summary>
    public static string Negotiate(string? requested, string? acceptLanguage) =>
        Common.Languages.Negotiate(requested is null ? null : Resolve(requested), acceptLanguage, Languages, Neutral);

    /// <summary>
    /// The text <paramref name="key"/> in <paramref name="language"/> with its placeholders filled. In right-to-left
    /// languages each value is isolated (FSI … PDI), so links, numbers and left-to-right names keep their order.
    /// </summary>
    public static string Text(string key, string language, params (string Name, string Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var template = Template(key, language);
        return Placeholder().Replace(template, m =>
        {
            var name = m.Groups[1].Value;
            var value = values.FirstOrDefault(v => v.Name == name).Value
                ?? throw new ArgumentException($"The text {key} needs a value for {{{name}}}.", nameof(values));
            return Isolate(value, language);
        });
    }

    /// <summary><paramref name="value"/> (a link, a number, a name) isolated (FSI … PDI) when <paramref name="language"/> is right to left, else as it is.</summary>
    public static string Isolate(string value, string language) =>
        Common.Languages.Direction(language) == "rtl" ? $"{FirstStrongIsolate}{value}{PopDirectionalIsolate}" : value;

    /// <summary>The text as the catalogue holds it, placeholders unfilled; remembered for the catalogue's own languages (a fixed set), as every message of a send needs the same few.</summary>
    public static string Template(string key, string language) =>
        Languages.Contains(language, StringComparer.Ordinal) ? Templates.GetOrAdd((key, language), static k => Lookup(k.Key, k.Language)) : Lookup(key, language);

    private static string Lookup(string key, string language) =>
        Resources.GetString(key, CultureInfo.GetCultureInfo(language))
        ?? throw new ArgumentException($"The catalogue has no text {key}.", nameof(key));

    /// <summary>The names of the placeholders in a text, in order: "{title}" → "title".</summary>
    public static IReadOnlyList<string> Placeholders(string template) =>
        [.. Placeholder().Matches(template).Select(m => m.Groups[1].Value)];

    /// <summary>ASCII digits written in the language's own digits.</summary>
    public static string Digits(string text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = Template(MessageKeys.FormatDigits, language);
        return digits == "0123456789" ? text : string.Concat(text.Select(c => char.IsAsciiDigit(c) ? digits[c - '0'] : c));
    }

    public static string Number(int value, string language) => Digits(value.ToString(CultureInfo.InvariantCulture), language);

    // Every culture ICU knows, regional ones included, so that a Catalogue.pt-BR.resx is found as a Catalogue.ar.resx is.
    private static List<string> Discover() =>
    [
        Neutral,
        .. CultureInfo.GetCultures(CultureTypes.AllCultures)
            .Where(c => c.Name.Length > 0 && c.Name != Neutral && Resources.GetResourceSet(c, createIfNotExists: true, tryParents: false) is not null)
            .Select(c => c.Name)
            .Order(StringComparer.Ordinal),
    ];

    [GeneratedRegex(@"\{([a-z]+)\}")]
    private static partial Regex Placeholder();
}
