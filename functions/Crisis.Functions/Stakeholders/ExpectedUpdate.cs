using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;

namespace Crisis.Functions.Stakeholders;

public enum ExpectedUpdateStatus
{
    Active,
    Completed,
    Cancelled,
}

public enum Satisfaction
{
    Acknowledged,
    Posted,
}

/// <summary>One due occurrence of an expected update and what happened to it.</summary>
public sealed record Occurrence
{
    public required int Number { get; init; }

    public required DateTimeOffset DueAt { get; init; }

    public DateTimeOffset? RemindedAt { get; init; }

    public DateTimeOffset? EscalatedAt { get; init; }

    public DateTimeOffset? SatisfiedAt { get; init; }

    public Satisfaction? SatisfiedBy { get; init; }

    public string? Note { get; init; }
}

/// <summary>
/// Who owes which update when: the owner is reminded when an occurrence falls due and the escalation targets
/// are told when it is still unsatisfied after the grace period. Recurring ones roll to the next occurrence once satisfied.
/// </summary>
public sealed record ExpectedUpdate
{
    public required string Id { get; init; }

    public required string CrisisId { get; init; }

    public required string OwnerId { get; init; }

    public required string Topic { get; init; }

    public string? Area { get; init; }

    public TimeSpan? Cadence { get; init; }

    public required TimeSpan GracePeriod { get; init; }

    /// <summary>Who hears about an overdue occurrence; empty means every decision maker.</summary>
    public List<string> EscalateTo { get; init; } = [];

    public required ExpectedUpdateStatus Status { get; init; }

    /// <summary>Every occurrence so far, the current (last) one included.</summary>
    public required List<Occurrence> Occurrences { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public Occurrence Current => Occurrences[^1];
}

public sealed record ExpectedUpdateRequest(
    [property: MaxLength(CrisisIds.MaxChildId)] string OwnerId,
    [property: MaxLength(ExpectedUpdateRequest.MaxTopic)] string Topic,
    DateTimeOffset DueAt,
    [property: MaxLength(StakeholderValidation.MaxArea)] string? Area = null,
    TimeSpan? Cadence = null,
    TimeSpan? GracePeriod = null,
    [property: MaxLength(ExpectedUpdateRequest.MaxEscalateTo), ItemMaxLength(CrisisIds.MaxChildId)] List<string>? EscalateTo = null)
{
    public const int MaxTopic = 200;

    public const int MaxEscalateTo = 20;
}
