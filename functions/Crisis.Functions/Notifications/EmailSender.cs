using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    /// <summary>The SMTP relay; empty disables email (messages to email contacts then fail, and are reported).</summary>
    public string Host { get; set; } = "";

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public bool UseTls { get; set; } = true;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    [Required]
    [EmailAddress]
    public string From { get; set; } = "crisis@example.org";

    public string FromName { get; set; } = "Crisis communications";
}

/// <summary>A message to one recipient: plain text and an HTML alternative, plus extra headers.</summary>
public sealed record EmailMessage(string To, string Subject, string Text, string Html, string MessageId, IReadOnlyDictionary<string, string>? Headers = null);

public static partial class PlainText
{
    /// <summary>The HTML alternative of a plain-text message: everything escaped, blank lines as paragraphs, line breaks kept.</summary>
    public static string ToHtml(string text) =>
        "<p>" + WebUtility.HtmlEncode(text).Replace("\n\n", "</p><p>", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal) + "</p>";

    /// <summary>
    /// A whole HTML document around <paramref name="body"/>, declaring its language and writing direction, so
    /// mail clients render and read it aloud as the language it is in (right to left for Persian).
    /// </summary>
    public static string Document(string body, string language) =>
        $"<!doctype html><html lang=\"{WebUtility.HtmlEncode(language)}\" dir=\"{Common.Languages.Direction(language)}\"><head><meta charset=\"utf-8\"></head><body>{body}</body></html>";

    /// <summary>As <see cref="ToHtml(string)"/>, with every http(s) URL of the text made a link.</summary>
    public static string ToHtmlWithLinks(string text) =>
        Url().Replace(ToHtml(text), m => $"<a href=\"{m.Value}\">{m.Value}</a>");

    [System.Text.RegularExpressions.GeneratedRegex("https?://[^\\s<\"\u2066-\u2069]+")]
    private static partial System.Text.RegularExpressions.Regex Url();
}

public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>Sends UTF-8 email over SMTP. The Message-ID is the caller's deterministic id, so a repeat is recognisable.</summary>
public sealed class SmtpEmailSender(IOptions<SmtpOptions> options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var smtp = options.Value;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            throw new InvalidOperationException("Email is not configured (Smtp:Host).");
        }

        using var mail = new MailMessage
        {
            From = new MailAddress(smtp.From, smtp.FromName, Encoding.UTF8),
            Subject = message.Subject,
            SubjectEncoding = Encoding.UTF8,
            HeadersEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
            Body = message.Text,
            IsBodyHtml = false,
        };
        mail.To.Add(new MailAddress(message.To));
        mail.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(message.Html, Encoding.UTF8, MediaTypeNames.Text.Html));
        mail.Headers.Add("Message-ID", message.MessageId);
        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>())
        {
            mail.Headers.Add(name, value);
        }

        using var client = new SmtpClient(smtp.Host, smtp.Port) { EnableSsl = smtp.UseTls, DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = 30_000 };
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
        }

        await client.SendMailAsync(mail, cancellationToken);
    }
}
