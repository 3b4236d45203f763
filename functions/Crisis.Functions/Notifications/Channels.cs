using System.Text;

namespace Crisis.Functions.Notifications;

/// <summary>
/// A provider asked us to slow down (HTTP 429, or 503 with Retry-After): not a failure of the message, which waits
/// <see cref="RetryAfter"/> (the provider's figure, else a default) without using up an attempt, and the channel
/// pauses for as long.
/// </summary>
public sealed class ProviderBusyException(string message, TimeSpan? retryAfter) : Exception(message)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Throws when <paramref name="response"/> is a provider's request to slow down.</summary>
    public static void ThrowIfBusy(HttpResponseMessage response, TimeProvider time, string provider)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(time);
        var retryAfter = response.Headers.RetryAfter is { } header ? header.Delta ?? header.Date - time.GetUtcNow() : null;
        if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests || response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && retryAfter is not null)
        {
            throw new ProviderBusyException($"{provider} answered HTTP {(int)response.StatusCode}: slow down", retryAfter);
        }
    }
}

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
