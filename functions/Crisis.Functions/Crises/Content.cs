using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Common;

namespace Crisis.Functions.Crises;

/// <summary>
/// The admin-edited public content of a crisis, all languages in one document. It is a draft until published;
/// publishing freezes a copy and renders one immutable page, FAQ and feed per language.
/// </summary>
public sealed record CrisisContent
{
    /// <summary>Where things stand now, in a sentence or two ("Deliveries in the north are delayed by up to 3 days").</summary>
    [LocalisedText(ContentValidation.MaxStatusText, MaxLanguages = CrisisValidation.MaxLanguages)]
    public Dictionary<string, string> StatusText { get; init; } = [];

    [MaxLength(ContentValidation.MaxKeyDates)]
    public List<KeyDate> KeyDates { get; init; } = [];

    [MaxLength(ContentValidation.MaxPolicies)]
    public List<Policy> Policies { get; init; } = [];

    [MaxLength(ContentValidation.MaxChannels)]
    public List<ChannelForNeed> Channels { get; init; } = [];

    [MaxLength(ContentValidation.MaxResources)]
    public List<HelpfulResource> Resources { get; init; } = [];

    [MaxLength(ContentValidation.MaxFaqEntries)]
    public List<FaqEntry> Faq { get; init; } = [];

    public static CrisisContent Empty { get; } = new();
}

public sealed record KeyDate(DateOnly Date, [property: LocalisedText(ContentValidation.MaxLabel, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Label);

/// <summary>A policy customers care about (cancellation, refund) and whether the crisis changed it.</summary>
public sealed record Policy(
    [property: MaxLength(ContentValidation.MaxKey)] string Key,
    [property: LocalisedText(ContentValidation.MaxPolicyTitle, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Title,
    [property: LocalisedText(ContentValidation.MaxPolicyText, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Text,
    bool ChangedByCrisis);

public enum Need
{
    Technical,
    Delivery,
    Rescheduling,
    Billing,
    Emergency,
    General,
}

public enum ChannelKind
{
    LiveChat,
    Sms,
    Portal,
    Phone,
    Email,
    Social,
}

/// <summary>Which channel fits which need, and how to reach it: technical → live chat, emergency → a phone answered by a person.</summary>
public sealed record ChannelForNeed(
    Need Need,
    ChannelKind Channel,
    [property: MaxLength(Validation.MaxUrl)] string Contact,
    [property: LocalisedText(ContentValidation.MaxNote, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string>? Note = null);

public enum ResourceKind
{
    GovernmentAid,
    CommunityGroup,
    SelfCare,
    Other,
}

public sealed record HelpfulResource(
    ResourceKind Kind,
    [property: MaxLength(Validation.MaxUrl)] string Url,
    [property: LocalisedText(ContentValidation.MaxResourceTitle, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Title,
    [property: LocalisedText(ContentValidation.MaxResourceDescription, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string>? Description = null);

public sealed record FaqEntry(
    [property: MaxLength(CrisisIds.MaxChildId)] string Id,
    [property: MaxLength(ContentValidation.MaxKey)] string Category,
    [property: Range(0, ContentValidation.MaxFaqOrder)] int Order,
    [property: LocalisedText(ContentValidation.MaxQuestion, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Question,
    [property: LocalisedText(ContentValidation.MaxAnswer, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Answer);

/// <summary>One entry of the update timeline. Drafts are not public; publishing one republishes the page.</summary>
public sealed record CrisisUpdate
{
    public required string Id { get; init; }

    public required Dictionary<string, string> Text { get; init; }

    public DateTimeOffset? NextUpdateExpectedAt { get; init; }

    /// <summary>What the update is about (e.g. "refunds"); subscribers who chose topics get only theirs and untopical updates.</summary>
    public string? Topic { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset? PublishedAt { get; init; }

    public string? PublishedBy { get; init; }

    /// <summary>When a published update was withdrawn: it leaves the page and feed; the audit keeps it, and messages not yet sent are cancelled.</summary>
    public DateTimeOffset? RetractedAt { get; init; }

    public string? RetractedBy { get; init; }

    /// <summary>Why it was withdrawn (for the record; not shown to the public).</summary>
    public string? RetractionReason { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPublic => PublishedAt is not null && RetractedAt is null;
}
