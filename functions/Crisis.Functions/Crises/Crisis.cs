using System.Text.Json.Serialization;

namespace Crisis.Functions.Crises;

public enum CrisisStatus
{
    Draft,
    Active,
    Ended,
    Archived,
}

public enum Severity
{
    Minor,
    Major,
    Critical,
}

/// <summary>A crisis as admins manage it. Title and summary are per language; the default language is always present.</summary>
public sealed record CrisisRecord
{
    public required string Id { get; init; }

    public required Dictionary<string, string> Title { get; init; }

    public required Dictionary<string, string> Summary { get; init; }

    public required Severity Severity { get; init; }

    public required string DefaultLanguage { get; init; }

    public required List<string> Languages { get; init; }

    /// <summary>Where customers read the page (the organisation's site); links in messages point here.</summary>
    public string? PublicPageUrl { get; init; }

    public DateTimeOffset? ExpectedEndAt { get; init; }

    /// <summary>
    /// The public promise of when the next update comes: set only by an admin (editing the crisis or publishing an
    /// update that names it) or a stakeholder allowed to publish who names it; stakeholders' own ETAs stay internal.
    /// </summary>
    public DateTimeOffset? NextUpdateExpectedAt { get; init; }

    /// <summary>The IANA time zone ("Europe/London") subscribers read times in; crises saved before it existed read as UTC.</summary>
    public string TimeZone { get; init; } = Messages.LocalTimes.Utc;

    public required CrisisStatus Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? ActivatedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public DateTimeOffset? ArchivedAt { get; init; }

    /// <summary>Incremented by every change; clients send it back in If-Match as "v{Version}".</summary>
    public required int Version { get; init; }

    [JsonIgnore]
    public bool IsPublic => Status is CrisisStatus.Active or CrisisStatus.Ended;

    public string Localised(Dictionary<string, string> texts, string language) =>
        texts.TryGetValue(language, out var text) ? text : texts.GetValueOrDefault(DefaultLanguage, "");
}

/// <summary>The lifecycle: draft → active → ended → archived. Anything else is refused.</summary>
public static class Lifecycle
{
    public static bool CanMove(CrisisStatus from, CrisisStatus to) => (from, to) switch
    {
        (CrisisStatus.Draft, CrisisStatus.Active) => true,
        (CrisisStatus.Active, CrisisStatus.Ended) => true,
        (CrisisStatus.Ended, CrisisStatus.Archived) => true,
        _ => false,
    };

    public static CrisisRecord Move(CrisisRecord crisis, CrisisStatus to, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        if (!CanMove(crisis.Status, to))
        {
            throw new IllegalTransitionException(crisis.Status, to);
        }

        return crisis with
        {
            Status = to,
            ActivatedAt = to == CrisisStatus.Active ? now : crisis.ActivatedAt,
            EndedAt = to == CrisisStatus.Ended ? now : crisis.EndedAt,
            ArchivedAt = to == CrisisStatus.Archived ? now : crisis.ArchivedAt,
        };
    }
}

public sealed class IllegalTransitionException(CrisisStatus from, CrisisStatus to)
    : InvalidOperationException($"A {from.ToString().ToLowerInvariant()} crisis cannot become {to.ToString().ToLowerInvariant()}.")
{
    public CrisisStatus From { get; } = from;

    public CrisisStatus To { get; } = to;
}
