using Crisis.Functions.Crises;

namespace Crisis.Functions.PublicPages;

/// <summary>What a published version is: written last by a publish, so readers switch to a new version all at once.</summary>
public sealed record PageManifest(string CrisisId, int Version, CrisisStatus Status, string DefaultLanguage, List<string> Languages, DateTimeOffset PublishedAt);

public sealed record PublicLinks(string Page, string Faq, string Feed, string? PublicPage)
{
    /// <summary>Where to send people: the organisation's own crisis page when it has one, else this API's page.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Preferred => PublicPage ?? Page;
}

public sealed record PublicUpdate(string Id, DateTimeOffset PublishedAt, string Text, DateTimeOffset? NextUpdateExpectedAt);

public sealed record PublicKeyDate(DateOnly Date, string Label);

public sealed record PublicPolicy(string Key, string Title, string Text, bool ChangedByCrisis);

public sealed record PublicChannel(Need Need, ChannelKind Channel, string Contact, string? Note);

public sealed record PublicResource(ResourceKind Kind, string Url, string Title, string? Description);

public sealed record PublicFaqEntry(string Id, string Category, int Order, string Question, string Answer);

/// <summary>The public crisis page in one language; texts missing in that language fall back to the default language.</summary>
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
    PublicLinks Links);

public sealed record PublicFaq(string CrisisId, string Language, string Dir, string? Query, IReadOnlyList<PublicFaqEntry> Entries);

public sealed record PublicCrisisSummary(string Id, CrisisStatus Status, Severity Severity, Dictionary<string, string> Title, string DefaultLanguage, List<string> Languages, DateTimeOffset PublishedAt);

/// <summary>Every crisis the public may see (active or ended), for the list endpoint.</summary>
public sealed record PublicIndex(List<PublicCrisisSummary> Crises);

public sealed record PublicCrisisListItem(string Id, CrisisStatus Status, Severity Severity, string Language, string Dir, string Title, DateTimeOffset PublishedAt, string Page);

public sealed record PublicCrisisList(string Language, IReadOnlyList<PublicCrisisListItem> Crises);
