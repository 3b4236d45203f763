using System.Text;

namespace Crisis.Functions.Notifications;

/// <summary>One way of reaching a recipient. Each sends one message and says why it was not delivered (null when it was).</summary>
public interface INotificationChannel
{
    OutboxChannel Channel { get; }

    /// <summary>Sends <paramref name="message"/> under <paramref name="messageId"/>, which stays the same on every retry.</summary>
    Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken);
}

/// <summary>Email over SMTP: plain text with an HTML alternative and the message's extra headers (List-Unsubscribe…).</summary>
public sealed class EmailChannel(IEmailSender email) : INotificationChannel
{
    public OutboxChannel Channel => OutboxChannel.Email;

    public async Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await email.SendAsync(new EmailMessage(message.Address, message.Subject, message.Text, message.Html, $"<{messageId}@crisis-functions>", message.Headers), cancellationToken);
        return null;
    }
}

/// <summary>A signed JSON POST; a 2xx within the timeout is delivered.</summary>
public sealed class WebhookChannel(WebhookSender webhooks) : INotificationChannel
{
    public OutboxChannel Channel => OutboxChannel.Webhook;

    public async Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var status = await webhooks.SendAsync(new Uri(message.Address), messageId, Encoding.UTF8.GetBytes(message.WebhookBody ?? "{}"), cancellationToken);
        return status is >= 200 and < 300 ? null : $"HTTP {status}";
    }
}

/// <summary>A short text through the SMS provider.</summary>
public sealed class SmsChannel(ISmsSender sms) : INotificationChannel
{
    public OutboxChannel Channel => OutboxChannel.Sms;

    public Task<string?> SendAsync(OutboxMessage message, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return sms.SendAsync(message.Address, message.Text, cancellationToken);
    }
}
