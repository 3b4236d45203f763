using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Text;

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

    /// <summary>
    /// Whether to pipeline the envelope commands (RFC 2920) when the relay offers it. Off by default: measured on
    /// loopback against two SMTP servers, each pipelined message waited about 45 ms for a delayed acknowledgement
    /// (0.2 to 0.6 ms without), which costs more than the round trips it saves on a relay a few milliseconds away.
    /// Turn it on for a relay far away.
    /// </summary>
    public bool Pipelining { get; set; }
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

/// <summary>
/// Sends UTF-8 email over SMTP with MailKit: plain text and an HTML alternative (each base64, so any script
/// survives any relay), the caller's headers, and the caller's deterministic Message-ID, so a repeat is
/// recognisable. Connections are pooled and reused, up to <see cref="OutboxOptions.EmailConcurrency"/> at once: a
/// connection is opened (TLS, login) once and carries message after message; one that failed or sat idle longer
/// than <see cref="IdleLimit"/> is closed and a fresh one opened.
/// </summary>
public sealed class SmtpEmailSender(IOptions<SmtpOptions> options, IOptions<OutboxOptions> outbox, TimeProvider time) : IEmailSender, IDisposable
{
    /// <summary>Relays commonly drop a connection idle for a minute or more; one idle this long is not trusted again.</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentBag<(SmtpClient Client, DateTimeOffset UsedAt)> _idle = [];
    private readonly SemaphoreSlim _connections = new(outbox.Value.EmailConcurrency);

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var smtp = options.Value;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            throw new InvalidOperationException("Email is not configured (Smtp:Host).");
        }

        using var mime = Compose(smtp, message);
        await _connections.WaitAsync(cancellationToken);
        try
        {
            var client = await ConnectionAsync(smtp, cancellationToken);
            try
            {
                await client.SendAsync(mime, cancellationToken);
            }
            catch
            {
                // The connection's state is unknown after a failure: it is not reused.
                await CloseAsync(client);
                throw;
            }

            _idle.Add((client, time.GetUtcNow()));
        }
        finally
        {
            _connections.Release();
        }
    }

    private static MimeMessage Compose(SmtpOptions smtp, EmailMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(smtp.FromName, smtp.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        // Written as given (name and value): MimeKit's own Message-Id would not be our deterministic id.
        mime.Headers.Remove(HeaderId.MessageId);
        mime.Headers.Add("Message-ID", message.MessageId);
        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>())
        {
            mime.Headers.Replace(name, value);
        }

        mime.Body = new MultipartAlternative
        {
            new TextPart(TextFormat.Plain) { Text = message.Text, ContentTransferEncoding = ContentEncoding.Base64 },
            new TextPart(TextFormat.Html) { Text = message.Html, ContentTransferEncoding = ContentEncoding.Base64 },
        };
        return mime;
    }

    /// <summary>A pooled connection still fit to use, else a new one, connected and logged in.</summary>
    private async Task<SmtpClient> ConnectionAsync(SmtpOptions smtp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        while (_idle.TryTake(out var pooled))
        {
            if (pooled.Client.IsConnected && now - pooled.UsedAt < IdleLimit)
            {
                return pooled.Client;
            }

            await CloseAsync(pooled.Client);
        }

        var client = new SmtpClient { Timeout = (int)SendTimeout.TotalMilliseconds };

        // Without NoDelay, the small last write of each message waits for the relay's delayed acknowledgement
        // (Nagle's algorithm): about 40 ms a message on one connection.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var security = !smtp.UseTls ? SecureSocketOptions.None : smtp.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
            await socket.ConnectAsync(smtp.Host, smtp.Port, cancellationToken);
            await client.ConnectAsync(socket, smtp.Host, smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
            }

            if (!smtp.Pipelining)
            {
                client.Capabilities &= ~SmtpCapabilities.Pipelining;
            }

            return client;
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private static async Task CloseAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.DisconnectAsync(true, quick.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or MailKit.ProtocolException or MailKit.CommandException or SocketException)
        {
            // Closing a connection that already broke: nothing more to do.
        }
        finally
        {
            client.Dispose();
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var pooled))
        {
            pooled.Client.Dispose();
        }

        _connections.Dispose();
    }
}
