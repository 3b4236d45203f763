using System.Globalization;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;

namespace Crisis.Functions.Stakeholders;

/// <summary>Reminder and escalation messages: in the recipient's language, the due time in their time zone, and the signed action link.</summary>
public static class ReminderMessages
{
    public static IEnumerable<OutboxMessage> For(
        DueKind kind, CrisisRecord crisis, ExpectedUpdate update, Stakeholder owner, Stakeholder recipient, string actionUrl)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(recipient);
        var language = MessageCatalogue.Resolve(recipient.Language, crisis.DefaultLanguage);
        var dueText = LocalTimes.Format(update.Current.DueAt, recipient.TimeZone, language);
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
        var key = string.Create(CultureInfo.InvariantCulture, $"{(kind == DueKind.Remind ? "remind" : "escalate")}|{crisis.Id}|{update.Id}|{update.Current.Number}|{recipient.Id}");

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
