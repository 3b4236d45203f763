using System.ComponentModel.DataAnnotations;
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
    [property: MaxLength(StakeholderValidation.MaxName)] string Name,
    StakeholderRole Role,
    [property: MaxLength(Languages.MaxTag)] string Language,
    [property: MaxLength(Messages.LocalTimes.MaxTimeZoneId)] string TimeZone,
    [property: MaxLength(Validation.MaxEmail)] string? Email = null,
    [property: MaxLength(Validation.MaxUrl)] string? WebhookUrl = null,
    [property: MaxLength(StakeholderValidation.MaxAreas), ItemMaxLength(StakeholderValidation.MaxArea)] List<string>? Areas = null,
    bool CanPublish = false);

public static class StakeholderValidation
{
    public const int MaxName = 200;

    public const int MaxAreas = 20;

    public const int MaxArea = 60;

    public static Validation Validate(StakeholderRequest request, IReadOnlyCollection<string> allowedPrivateHosts)
    {
        ArgumentNullException.ThrowIfNull(request);
        var v = Contact(request.Name, request.Email, request.WebhookUrl, allowedPrivateHosts);

        v.Language("language", request.Language);

        if (!Messages.LocalTimes.TryFindTimeZone(request.TimeZone, out _))
        {
            v.Add("timeZone", "must be an IANA time zone such as 'Europe/London'.");
        }

        v.Count("areas", request.Areas, MaxAreas);
        foreach (var area in request.Areas ?? [])
        {
            v.Text("areas", area, MaxArea, multiline: false);
        }

        return v;
    }

    /// <summary>Someone messages reach: a name, and an email address and/or a webhook URL that may be sent to.</summary>
    public static Validation Contact(string? name, string? email, string? webhookUrl, IReadOnlyCollection<string> allowedPrivateHosts)
    {
        var v = new Validation();
        v.Text("name", name, MaxName, multiline: false);
        if (email is null && webhookUrl is null)
        {
            v.Add("email", "an email address or a webhook URL is required.");
        }

        v.Email("email", email);
        if (webhookUrl is not null && WebhookSender.Validate(webhookUrl, allowedPrivateHosts) is { } problem)
        {
            v.Add("webhookUrl", problem);
        }

        return v;
    }
}
