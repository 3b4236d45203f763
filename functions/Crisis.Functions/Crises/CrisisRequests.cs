using Crisis.Functions.Common;

namespace Crisis.Functions.Crises;

public sealed record CreateCrisisRequest(
    Dictionary<string, string> Title,
    Dictionary<string, string> Summary,
    Severity Severity,
    string DefaultLanguage,
    List<string> Languages,
    string? PublicPageUrl = null,
    DateTimeOffset? ExpectedEndAt = null,
    string? TimeZone = null);

/// <summary>A partial edit: only the fields present change.</summary>
public sealed record UpdateCrisisRequest(
    Dictionary<string, string>? Title = null,
    Dictionary<string, string>? Summary = null,
    Severity? Severity = null,
    string? DefaultLanguage = null,
    List<string>? Languages = null,
    string? PublicPageUrl = null,
    DateTimeOffset? ExpectedEndAt = null,
    string? TimeZone = null);

public sealed record CreateUpdateRequest(Dictionary<string, string> Text, DateTimeOffset? NextUpdateExpectedAt = null, bool Publish = false, string? Topic = null);

/// <summary>The rules every crisis record must satisfy, whether created or edited.</summary>
public static class CrisisValidation
{
    public const int MaxLanguages = 10;

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

        v.Localised("title", crisis.Title, crisis.Languages, crisis.DefaultLanguage, 200);
        foreach (var (language, title) in crisis.Title)
        {
            v.Text($"title.{language}", title, 200, multiline: false);
        }

        v.Localised("summary", crisis.Summary, crisis.Languages, crisis.DefaultLanguage, 2000);
        v.Url("publicPageUrl", crisis.PublicPageUrl, required: false);
        if (!Messages.LocalTimes.TryFindTimeZone(crisis.TimeZone, out _))
        {
            v.Add("timeZone", $"'{crisis.TimeZone}' is not a known time zone: use an IANA time zone id such as 'Europe/London', 'Asia/Tehran' or 'UTC'.");
        }

        return v;
    }

    public static Validation ValidateUpdate(CreateUpdateRequest request, CrisisRecord crisis)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(crisis);
        var v = new Validation();
        v.Localised("text", request.Text, crisis.Languages, crisis.DefaultLanguage, 2500);
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

    public static bool IsValid(string? topic) => topic is not null && Pattern().IsMatch(topic);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}\\z")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
