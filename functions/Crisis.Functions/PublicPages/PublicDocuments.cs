using System.Text.Json.Serialization;
using Crisis.Functions.Crises;

namespace Crisis.Functions.PublicPages;

/// <summary>What a published version is: written last by a publish, so readers switch to a new version all at once.</summary>
public sealed record PageManifest(string CrisisId, int Version, CrisisStatus Status, string DefaultLanguage, List<string> Languages, DateTimeOffset PublishedAt);

/// <summary>Where the crisis can be read: this API's JSON page, FAQ and feed, its HTML page and FAQ, and the organisation's own page if it has one.</summary>
public sealed record PublicLinks(string Page, string Faq, string Feed, string? PublicPage, string PageHtml, string FaqHtml)
{
    /// <summary>Where to send people: the organisation's own crisis page when it has one, else this app's HTML page.</summary>
    [JsonIgnore]
    public string Preferred => PublicPage ?? PageHtml;
}

// A text missing in the page's language falls back to the crisis' default language, and says so: its "…Lang"
// property names the language it is in (absent when the text is in the page's language).

public sealed record PublicUpdate(string Id, DateTimeOffset PublishedAt, string Text, DateTimeOffset? NextUpdateExpectedAt, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TextLang = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Topic = null);

public sealed record PublicKeyDate(DateOnly Date, string Label, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LabelLang = null);

public sealed record PublicPolicy(string Key, string Title, string Text, bool ChangedByCrisis, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TitleLang = null, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TextLang = null);

public sealed record PublicChannel(Need Need, ChannelKind Channel, string Contact, string? Note, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NoteLang = null);

public sealed record PublicResource(ResourceKind Kind, string Url, string Title, string? Description, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TitleLang = null, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DescriptionLang = null);

public sealed record PublicFaqEntry(string Id, string Category, int Order, string Question, string Answer, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? QuestionLang = null, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AnswerLang = null);

/// <summary>The public crisis page in one language; texts missing in that language fall back to the default language. Times are read in <c>TimeZone</c>.</summary>
public sealed record PublicPage(
    string CrisisId,
    string Language,
    string Dir,
    IReadOnlyList<string> Languages,
    CrisisStatus Status,
    Severity Severity,
    string Title,
    string Summary,
    string? StatusText,
    DateTimeOffset PublishedAt,
    DateTimeOffset? LastUpdatedAt,
    DateTimeOffset? NextUpdateExpectedAt,
    DateTimeOffset? ExpectedEndAt,
    IReadOnlyList<PublicUpdate> Updates,
    IReadOnlyList<PublicKeyDate> KeyDates,
    IReadOnlyList<PublicPolicy> Policies,
    IReadOnlyList<PublicChannel> Channels,
    IReadOnlyList<PublicResource> Resources,
    int FaqCount,
    PublicLinks Links,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TitleLang = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SummaryLang = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StatusTextLang = null,
    string TimeZone = Messages.LocalTimes.Utc);

public sealed record PublicFaq(string CrisisId, string Language, string Dir, string? Query, IReadOnlyList<PublicFaqEntry> Entries);

public sealed record PublicCrisisSummary(string Id, CrisisStatus Status, Severity Severity, Dictionary<string, string> Title, string DefaultLanguage, List<string> Languages, DateTimeOffset PublishedAt);

/// <summary>Every crisis the public may see (active or ended), for the list endpoint.</summary>
public sealed record PublicIndex(List<PublicCrisisSummary> Crises);

public sealed record PublicCrisisListItem(string Id, CrisisStatus Status, Severity Severity, string Language, string Dir, string Title, DateTimeOffset PublishedAt, string Page);

public sealed record PublicCrisisList(string Language, IReadOnlyList<PublicCrisisListItem> Crises);
