using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Common;

namespace Crisis.Functions.Crises;

public sealed record CreateCrisisRequest(
    [property: LocalisedText(CrisisValidation.MaxTitle, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Title,
    [property: LocalisedText(CrisisValidation.MaxSummary, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Summary,
    Severity Severity,
    [property: MaxLength(Common.Languages.MaxTag)] string DefaultLanguage,
    [property: MaxLength(CrisisValidation.MaxLanguages), ItemMaxLength(Common.Languages.MaxTag)] List<string> Languages,
    [property: MaxLength(Validation.MaxUrl)] string? PublicPageUrl = null,
    DateTimeOffset? ExpectedEndAt = null,
    [property: MaxLength(Messages.LocalTimes.MaxTimeZoneId)] string? TimeZone = null);

/// <summary>
/// A partial edit: only the fields present change. Title and summary merge per language (a language given
/// null is removed); removing a language from <see cref="Languages"/> removes its title and summary too.
/// <see cref="NextUpdateExpectedAt"/> is the public promise: a time sets it, null withdraws it, absent keeps it.
/// </summary>
public sealed record UpdateCrisisRequest(
    [property: LocalisedText(CrisisValidation.MaxTitle, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string?>? Title = null,
    [property: LocalisedText(CrisisValidation.MaxSummary, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string?>? Summary = null,
    Severity? Severity = null,
    [property: MaxLength(Common.Languages.MaxTag)] string? DefaultLanguage = null,
    [property: MaxLength(CrisisValidation.MaxLanguages), ItemMaxLength(Common.Languages.MaxTag)] List<string>? Languages = null,
    [property: MaxLength(Validation.MaxUrl)] string? PublicPageUrl = null,
    DateTimeOffset? ExpectedEndAt = null,
    [property: MaxLength(Messages.LocalTimes.MaxTimeZoneId)] string? TimeZone = null)
{
    /// <summary>The public promise: a time sets it, null withdraws it, absent keeps it.</summary>
    public PatchValue<DateTimeOffset> NextUpdateExpectedAt { get; init; }

    /// <summary>The crisis after this edit (not yet validated).</summary>
    public CrisisRecord ApplyTo(CrisisRecord current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var languages = Languages is null ? current.Languages : CrisisValidation.NormaliseLanguages(Languages);
        return current with
        {
            Title = Merge(current.Title, Title, languages),
            Summary = Merge(current.Summary, Summary, languages),
            Severity = Severity ?? current.Severity,
            DefaultLanguage = DefaultLanguage is null ? current.DefaultLanguage : Common.Languages.Normalise(DefaultLanguage) ?? DefaultLanguage,
            Languages = languages,
            PublicPageUrl = PublicPageUrl ?? current.PublicPageUrl,
            ExpectedEndAt = ExpectedEndAt ?? current.ExpectedEndAt,
            NextUpdateExpectedAt = NextUpdateExpectedAt.IsPresent ? NextUpdateExpectedAt.Value : current.NextUpdateExpectedAt,
            TimeZone = TimeZone ?? current.TimeZone,
        };
    }

    private static Dictionary<string, string> Merge(Dictionary<string, string> current, Dictionary<string, string?>? edit, List<string> languages)
    {
        var merged = current.Where(t => languages.Contains(t.Key)).ToDictionary(StringComparer.Ordinal);
        foreach (var (language, text) in edit ?? [])
        {
            if (text is null)
            {
                merged.Remove(language);
            }
            else
            {
                merged[language] = text;
            }
        }

        return merged;
    }
}

/// <summary>
/// A new update. <see cref="NextUpdateExpectedAt"/>, when given, becomes the crisis' public promise once the
/// update is published; an update without it leaves the promise as it was.
/// </summary>
public sealed record CreateUpdateRequest(
    [property: LocalisedText(CrisisValidation.MaxUpdateText, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Text,
    DateTimeOffset? NextUpdateExpectedAt = null,
    bool Publish = false,
    [property: MaxLength(Topics.MaxLength)] string? Topic = null);

/// <summary>Withdraws a published update; <see cref="Reason"/> is kept in the audit.</summary>
public sealed record RetractUpdateRequest([property: MaxLength(RetractUpdateRequest.MaxReason)] string Reason)
{
    public const int MaxReason = 500;
}

/// <summary>The rules every crisis record must satisfy, whether created or edited.</summary>
public static class CrisisValidation
{
    public const int MaxLanguages = 10;

    public const int MaxTitle = 200;

    public const int MaxSummary = 2000;

    public const int MaxUpdateText = 2500;

    /// <summary>Normalises the language tags of a request ("en-gb" → "en-GB"); unknown tags stay as given and fail validation.</summary>
    public static List<string> NormaliseLanguages(IEnumerable<string> languages) =>
        languages.Select(l => Languages.Normalise(l) ?? l).ToList();

    public static Validation Validate(CrisisRecord crisis)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        var v = new Validation();
        if (crisis.Languages.Count is 0 or > MaxLanguages)
        {
            v.Add("languages", $"must list 1 to {MaxLanguages} languages.");
        }

        foreach (var language in crisis.Languages.Where(l => Languages.Normalise(l) is null))
        {
            v.Add("languages", $"'{language}' is not a known language tag.");
        }

        if (crisis.Languages.Distinct(StringComparer.OrdinalIgnoreCase).Count() != crisis.Languages.Count)
        {
            v.Add("languages", "must not repeat a language.");
        }

        if (!crisis.Languages.Contains(crisis.DefaultLanguage))
        {
            v.Add("defaultLanguage", "must be one of the languages offered.");
        }

        if (!v.IsValid)
        {
            return v;
        }

        v.Localised("title", crisis.Title, crisis.Languages, crisis.DefaultLanguage, MaxTitle);
        foreach (var (language, title) in crisis.Title)
        {
            v.Text($"title.{language}", title, MaxTitle, multiline: false);
        }

        v.Localised("summary", crisis.Summary, crisis.Languages, crisis.DefaultLanguage, MaxSummary);
        v.Url("publicPageUrl", crisis.PublicPageUrl, required: false);
        if (!Messages.LocalTimes.TryFindTimeZone(crisis.TimeZone, out _))
        {
            v.Add("timeZone", $"'{crisis.TimeZone}' is not a known time zone: use an IANA time zone id such as 'Europe/London', 'Asia/Tehran' or 'UTC'.");
        }

        return v;
    }

    /// <summary>How far ahead a public promise of the next update may be.</summary>
    public static readonly TimeSpan MaxPromiseAhead = TimeSpan.FromDays(31);

    /// <summary>A new public promise of the next update must be in the future, within <see cref="MaxPromiseAhead"/>.</summary>
    public static void Promise(Validation v, string field, DateTimeOffset? promise, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (promise is { } at && (at <= now || at > now + MaxPromiseAhead))
        {
            v.Add(field, $"must be in the future, within {MaxPromiseAhead.TotalDays:0} days.");
        }
    }

    public static Validation ValidateUpdate(CreateUpdateRequest request, CrisisRecord crisis, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(crisis);
        var v = new Validation();
        v.Localised("text", request.Text, crisis.Languages, crisis.DefaultLanguage, MaxUpdateText);
        Promise(v, "nextUpdateExpectedAt", request.NextUpdateExpectedAt, now);
        if (request.Topic is not null && !Topics.IsValid(request.Topic))
        {
            v.Add("topic", Topics.Rule);
        }

        return v;
    }
}

/// <summary>Topics name what updates are about, for subscribers who want only some: "refunds", "service-status".</summary>
public static partial class Topics
{
    public const string Rule = "must be 1 to 40 lowercase letters, digits or hyphens, starting with a letter or digit.";

    /// <summary>The longest topic <see cref="Pattern"/> matches, declared as the OpenAPI maxLength.</summary>
    public const int MaxLength = 40;

    public static bool IsValid(string? topic) => topic is not null && Pattern().IsMatch(topic);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}\\z")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
