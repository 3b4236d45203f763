using System.Net.Mail;
using Crisis.Functions.Common;
using Crisis.Functions.Notifications;

namespace Crisis.Functions.Stakeholders;

public enum StakeholderRole
{
    DecisionMaker,
    Expert,
    Communicator,
}

/// <summary>Someone who decides, or knows an affected area, and owes updates. Reached by email and/or a webhook.</summary>
public sealed record Stakeholder
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string? Email { get; init; }

    public string? WebhookUrl { get; init; }

    public required StakeholderRole Role { get; init; }

    public List<string> Areas { get; init; } = [];

    public required string Language { get; init; }

    /// <summary>IANA time zone ("Europe/London"): due times in messages are shown in it.</summary>
    public required string TimeZone { get; init; }

    /// <summary>Whether an update posted from a reminder link is published at once (else it waits as a draft).</summary>
    public bool CanPublish { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

public sealed record StakeholderRequest(
    string Name,
    StakeholderRole Role,
    string Language,
    string TimeZone,
    string? Email = null,
    string? WebhookUrl = null,
    List<string>? Areas = null,
    bool CanPublish = false);

public static class StakeholderValidation
{
    public static Validation Validate(StakeholderRequest request, IReadOnlyCollection<string> allowedPrivateHosts)
    {
        ArgumentNullException.ThrowIfNull(request);
        var v = new Validation();
        v.Text("name", request.Name, 200, multiline: false);
        if (request.Email is null && request.WebhookUrl is null)
        {
            v.Add("email", "an email address or a webhook URL is required.");
        }

        if (request.Email is not null && !IsEmailAddress(request.Email))
        {
            v.Add("email", "must be an email address.");
        }

        if (request.WebhookUrl is not null && WebhookSender.Validate(request.WebhookUrl, allowedPrivateHosts) is { } problem)
        {
            v.Add("webhookUrl", problem);
        }

        if (Languages.Normalise(request.Language) is null)
        {
            v.Add("language", "must be a language tag such as 'en'.");
        }

        if (!TryFindTimeZone(request.TimeZone, out _))
        {
            v.Add("timeZone", "must be an IANA time zone such as 'Europe/London'.");
        }

        v.Count("areas", request.Areas, 20);
        foreach (var area in request.Areas ?? [])
        {
            v.Text("areas", area, 60, multiline: false);
        }

        return v;
    }

    public static bool TryFindTimeZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64)
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    public static bool IsEmailAddress(string value) =>
        value.Length <= 254 && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
        && MailAddress.TryCreate(value, out var address) && address.Address == value && address.Host.Contains('.', StringComparison.Ordinal);
}
