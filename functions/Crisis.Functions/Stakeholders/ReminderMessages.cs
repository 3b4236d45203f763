using System.Globalization;
using System.Net;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Notifications;

namespace Crisis.Functions.Stakeholders;

/// <summary>Reminder and escalation messages: due time in the recipient's time zone, and the signed action link.</summary>
public static class ReminderMessages
{
    public static IEnumerable<OutboxMessage> For(
        DueKind kind, CrisisRecord crisis, ExpectedUpdate update, Stakeholder owner, Stakeholder recipient, string actionUrl)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(recipient);
        var dueText = StakeholderValidation.LocalTime(update.Current.DueAt, recipient.TimeZone);
        var title = crisis.Localised(crisis.Title, recipient.Language);
        var (subject, text) = kind == DueKind.Remind
            ? ($"Update due: {update.Topic} — {title}",
               $"Hello {recipient.Name},\n\nYour update on \"{update.Topic}\" for the crisis \"{title}\" is due at {dueText}.\n\n" +
               $"Acknowledge it (with a new ETA) or post the update here:\n{actionUrl}\n")
            : ($"OVERDUE: {update.Topic} — {title}",
               $"Hello {recipient.Name},\n\nThe update on \"{update.Topic}\" for the crisis \"{title}\", owed by {owner.Name}, was due at {dueText} " +
               $"and has not been given within the grace period of {update.GracePeriod.TotalMinutes:0} minutes.\n\n" +
               $"Act on it here:\n{actionUrl}\n");
        var link = WebUtility.HtmlEncode(actionUrl);
        var html = PlainText.ToHtml(text).Replace(link, $"<a href=\"{link}\">{link}</a>", StringComparison.Ordinal);
        var key = string.Create(CultureInfo.InvariantCulture, $"{(kind == DueKind.Remind ? "remind" : "escalate")}|{crisis.Id}|{update.Id}|{update.Current.Number}|{recipient.Id}");

        if (recipient.Email is { } email)
        {
            yield return new OutboxMessage(key + "|email", crisis.Id, OutboxChannel.Email, email, subject, text, html);
        }

        if (recipient.WebhookUrl is { } webhook)
        {
            var body = JsonSerializer.Serialize(new
            {
                type = kind == DueKind.Remind ? "update.due" : "update.overdue",
                crisisId = crisis.Id,
                crisisTitle = title,
                expectedUpdateId = update.Id,
                occurrence = update.Current.Number,
                topic = update.Topic,
                owner = owner.Name,
                dueAt = update.Current.DueAt,
                dueAtLocal = dueText,
                actionUrl,
            }, JsonBody.Options);
            yield return new OutboxMessage(key + "|webhook", crisis.Id, OutboxChannel.Webhook, webhook, subject, text, html, body);
        }
    }
}
