using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;

namespace Crisis.Functions.CannedResponses;

public enum ResponseStatus
{
    Draft,
    InReview,
    Approved,
    Archived,
}

/// <summary>The review checklist an approver confirms: the guidance's five tests of a good answer.</summary>
public sealed record ReviewChecklist(bool Empathy, bool Clarity, bool Consistency, bool Realism, bool Helpfulness);

/// <summary>Who approved a response, as what, with the checklist they confirmed.</summary>
public sealed record Approval(string ApprovedBy, string? StakeholderId, ReviewChecklist Checklist, string? Notes, DateTimeOffset At);

/// <summary>
/// A named answer agents paste into replies ("COVID refund"): small snippets per language, joined when
/// rendered, always followed by the crisis page link. Agents see it only once an expert (or an admin) approved it.
/// </summary>
public sealed record CannedResponse
{
    public required string Id { get; init; }

    public required string CrisisId { get; init; }

    public required string Name { get; init; }

    public required Dictionary<string, List<string>> Snippets { get; init; }

    /// <summary>Triage tags this response answers; triage suggests it for messages with these tags.</summary>
    public List<string> Tags { get; init; } = [];

    public required ResponseStatus Status { get; init; }

    public required int Version { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public required string UpdatedBy { get; init; }

    public Approval? Approval { get; init; }

    public DateTimeOffset? ArchivedAt { get; init; }

    public int Uses { get; init; }
}

public sealed record CannedResponseRequest(
    [property: MaxLength(CannedResponseValidation.MaxName)] string Name,
    [property: LocalisedText(CannedResponseValidation.MaxSnippet, MaxLanguages = CrisisValidation.MaxLanguages, MaxItems = CannedResponseValidation.MaxSnippets)] Dictionary<string, List<string>> Snippets,
    [property: MaxLength(CannedResponseValidation.MaxTags), ItemMaxLength(Topics.MaxLength)] List<string>? Tags = null);

public sealed record ApprovalRequest(
    ReviewChecklist Checklist,
    [property: MaxLength(CrisisIds.MaxChildId)] string? StakeholderId = null,
    [property: MaxLength(ApprovalRequest.MaxNotes)] string? Notes = null)
{
    public const int MaxNotes = 2000;
}

public static class CannedResponseValidation
{
    public const int MaxSnippets = 10;

    public const int MaxSnippet = 1000;

    /// <summary>Read here and, through the request's attributes, by the OpenAPI schema.</summary>
    public const int MaxName = 120;

    public const int MaxTags = 10;

    public static Validation Validate(CannedResponseRequest request, CrisisRecord crisis)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(crisis);
        var v = new Validation();
        v.Text("name", request.Name, MaxName, multiline: false);
        if (request.Snippets is null || !request.Snippets.ContainsKey(crisis.DefaultLanguage))
        {
            v.Add("snippets", $"needs snippets in the default language '{crisis.DefaultLanguage}'.");
        }

        foreach (var (language, snippets) in request.Snippets ?? [])
        {
            if (!crisis.Languages.Contains(language))
            {
                v.Add($"snippets.{language}", $"'{language}' is not one of the crisis' languages ({string.Join(", ", crisis.Languages)}).");
                continue;
            }

            if (snippets.Count is 0 or > MaxSnippets)
            {
                v.Add($"snippets.{language}", $"must hold 1 to {MaxSnippets} snippets.");
            }

            for (var i = 0; i < snippets.Count; i++)
            {
                v.Text($"snippets.{language}[{i}]", snippets[i], MaxSnippet);
            }
        }

        v.Count("tags", request.Tags, MaxTags);
        foreach (var (tag, i) in (request.Tags ?? []).Select((t, i) => (t, i)))
        {
            if (!Topics.IsValid(tag))
            {
                v.Add($"tags[{i}]", Topics.Rule);
            }
        }

        return v;
    }
}
