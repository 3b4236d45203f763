using System.Globalization;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Stakeholders;

/// <summary>
/// Reminders and escalations as the outbox holds them: only what they are about (kind, crisis, owed update,
/// occurrence, recipient, channel), never an address or a signed link. Each is made when it is sent, from current
/// data, with a fresh action link; one whose occurrence was answered (or whose update ended) meanwhile is cancelled.
/// </summary>
public sealed class ReminderNotifications(StakeholderStore store, CrisisStore crises, SignedTokens tokens, IOptions<PublicPagesOptions> pages) : IDeferredMessages
{
    public const string KindName = "stakeholder-reminder";

    public string Kind => KindName;

    /// <summary>The outbox entry of one reminder or escalation: its key says what it is and for whom, so it is queued once.</summary>
    public static DeferredMessage Message(DueKind kind, string crisisId, string updateId, int occurrence, string recipientId, OutboxChannel channel)
    {
        var key = string.Create(CultureInfo.InvariantCulture,
            $"{(kind == DueKind.Remind ? RemindPrefix : EscalatePrefix)}|{crisisId}|{updateId}|{occurrence}|{recipientId}|{channel.ToString().ToLowerInvariant()}");
        return new DeferredMessage(key, KindName, key, recipientId);
    }

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var parts = reference.Split('|');
        var kind = parts[0] == RemindPrefix ? DueKind.Remind : DueKind.Escalate;
        var number = int.Parse(parts[3], CultureInfo.InvariantCulture);
        var crisis = (await crises.GetAsync(parts[1], cancellationToken))?.Crisis;
        var update = (await store.GetExpectedAsync(parts[1], parts[2], cancellationToken))?.Update;
        var recipient = (await store.GetAsync(parts[4], cancellationToken))?.Stakeholder;
        var owner = update is null ? null : (await store.GetAsync(update.OwnerId, cancellationToken))?.Stakeholder;
        if (crisis is null || update is null || recipient is null || owner is null || await store.OccurrenceAsync(update, number, cancellationToken) is not { } occurrence)
        {
            return new Rendering(null, "cancelled", "What the reminder was about no longer exists.");
        }

        if (occurrence.SatisfiedAt is not null || update.Status != ExpectedUpdateStatus.Active)
        {
            return new Rendering(null, "cancelled", "The update was answered (or no longer owed) before the message was sent.");
        }

        var token = tokens.Create(ReminderTimer.ActionPurpose, $"{crisis.Id}|{update.Id}|{number}|{recipient.Id}", ReminderTimer.ActionLinkLifetime);
        var link = pages.Value.BaseUrl.AbsoluteUri.TrimEnd('/') + "/api/stakeholder-actions?token=" + Uri.EscapeDataString(token);
        var channel = Enum.Parse<OutboxChannel>(parts[5], ignoreCase: true);
        return ReminderMessages.For(kind, crisis, update, occurrence, owner, recipient, link).FirstOrDefault(m => m.Channel == channel) is { } message
            ? new Rendering(message with { Key = reference })
            : new Rendering(null, "cancelled", $"The recipient no longer has a {parts[5]} contact.");
    }

    public Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken) => Task.FromResult(false);

    private const string RemindPrefix = "remind";
    private const string EscalatePrefix = "escalate";
}

/// <summary>Reminder and escalation messages: in the recipient's language, the due time in their time zone, and the signed action link.</summary>
public static class ReminderMessages
{
    public static IEnumerable<OutboxMessage> For(
        DueKind kind, CrisisRecord crisis, ExpectedUpdate update, Occurrence occurrence, Stakeholder owner, Stakeholder recipient, string actionUrl)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(occurrence);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(recipient);
        var language = MessageCatalogue.Resolve(recipient.Language, crisis.DefaultLanguage);
        var dueText = LocalTimes.Format(occurrence.DueAt, recipient.TimeZone, language);
        var title = crisis.Localised(crisis.Title, language);
        var (subject, text) = kind == DueKind.Remind
            ? (MessageCatalogue.Text(MessageKeys.ReminderSubject, language, ("topic", update.Topic), ("title", title)),
               MessageCatalogue.Text(MessageKeys.ReminderBody, language, ("name", recipient.Name), ("topic", update.Topic), ("title", title), ("time", dueText), ("link", actionUrl)))
            : (MessageCatalogue.Text(MessageKeys.EscalationSubject, language, ("topic", update.Topic), ("title", title)),
               MessageCatalogue.Text(MessageKeys.EscalationBody, language, ("name", recipient.Name), ("topic", update.Topic), ("title", title), ("owner", owner.Name),
                   ("minutes", MessageCatalogue.Number((int)update.GracePeriod.TotalMinutes, language)), ("time", dueText), ("link", actionUrl)));
        text += "\n";
        var html = PlainText.Document(PlainText.ToHtmlWithLinks(text), language);
        var headers = new Dictionary<string, string> { ["Content-Language"] = language };
        var key = string.Create(CultureInfo.InvariantCulture, $"{(kind == DueKind.Remind ? "remind" : "escalate")}|{crisis.Id}|{update.Id}|{occurrence.Number}|{recipient.Id}");

        if (recipient.Email is { } email)
        {
            yield return new OutboxMessage(key + "|email", crisis.Id, OutboxChannel.Email, email, subject, text, html, null, headers);
        }

        if (recipient.WebhookUrl is { } webhook)
        {
            var body = JsonSerializer.Serialize(new
            {
                type = kind == DueKind.Remind ? "update.due" : "update.overdue",
                title = subject,
                language,
                crisisId = crisis.Id,
                crisisTitle = title,
                expectedUpdateId = update.Id,
                occurrence = occurrence.Number,
                topic = update.Topic,
                owner = owner.Name,
                dueAt = occurrence.DueAt,
                dueAtLocal = dueText,
                actionUrl,
            }, JsonBody.Options);
            yield return new OutboxMessage(key + "|webhook", crisis.Id, OutboxChannel.Webhook, webhook, subject, text, html, body);
        }
    }
}
