using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Standard Webhooks signing secret, "whsec_" + base64. Receivers verify signatures with it.</summary>
    [Required]
    [RegularExpression("^whsec_[A-Za-z0-9+/=]{24,}$")]
    public string SigningSecret { get; set; } = "";

    /// <summary>Hosts allowed even though they resolve to loopback or private addresses (tests, internal receivers).</summary>
    public List<string> AllowedPrivateHosts { get; set; } = [];

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Why a webhook URL was refused.</summary>
public sealed class UnsafeWebhookException(string message) : Exception(message);

/// <summary>
/// Posts JSON to a webhook, signed the Standard Webhooks way (webhook-id, webhook-timestamp,
/// webhook-signature = v1,base64(HMAC-SHA256(secret, id.timestamp.body))). A 2xx within the timeout counts
/// as delivered. Against SSRF the URL must be http(s), and every address the host resolves to is checked
/// at connect time (loopback, private, link-local, metadata are refused unless allow-listed); redirects are
/// not followed.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _client;
    private readonly IOptions<WebhookOptions> _options;
    private readonly TimeProvider _time;

    public WebhookSender(IOptions<WebhookOptions> options, TimeProvider time)
    {
        _options = options;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectSafelyAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Checks what can be checked without DNS: scheme, length, credentials, a literal address.</summary>
    public static string? Validate(string? url, IReadOnlyCollection<string> allowedPrivateHosts)
    {
        ArgumentNullException.ThrowIfNull(allowedPrivateHosts);
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URL.";
        }

        if (uri.Scheme is not ("https" or "http"))
        {
            return "must use https or http.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not carry credentials.";
        }

        if (!allowedPrivateHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase)
            && (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && !IsPublic(literal)
                || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
                || uri.Host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)))
        {
            return "must point at a public address.";
        }

        return null;
    }

    /// <summary>Sends and returns the status; throws <see cref="UnsafeWebhookException"/> for a refused destination.</summary>
    public async Task<int> SendAsync(Uri url, string messageId, byte[] body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(body);
        var options = _options.Value;
        if (Validate(url.AbsoluteUri, options.AllowedPrivateHosts) is { } problem)
        {
            throw new UnsafeWebhookException($"The webhook URL {problem}");
        }

        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", "v1," + Sign(options.SigningSecret, messageId, timestamp, body));
        request.Options.Set(AllowPrivate, options.AllowedPrivateHosts.Contains(url.Host, StringComparer.OrdinalIgnoreCase));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        return (int)response.StatusCode;
    }

    /// <summary>The Standard Webhooks signature: base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).</summary>
    public static string Sign(string secret, string messageId, string timestamp, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        byte[] signed = [.. prefix, .. body];
        return Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    public void Dispose() => _client.Dispose();

    private static readonly HttpRequestOptionsKey<bool> AllowPrivate = new("crisis-allow-private");

    /// <summary>Resolves the host and connects only to an address that is allowed: no DNS-rebinding way around the check.</summary>
    private static async ValueTask<Stream> ConnectSafelyAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var allowPrivate = context.InitialRequestMessage.Options.TryGetValue(AllowPrivate, out var allowed) && allowed;
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var usable = addresses.Where(a => allowPrivate || IsPublic(a)).ToArray();
        if (usable.Length == 0)
        {
            throw new UnsafeWebhookException($"{context.DnsEndPoint.Host} resolves to no public address.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// False for loopback, private (RFC 1918, ULA), link-local (incl. cloud metadata 169.254.169.254), CGNAT,
    /// documentation and benchmarking ranges (RFC 5737, RFC 2544), unspecified, reserved and multicast addresses.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19)
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }

        var v6 = address.GetAddressBytes();
        var documentation = v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8;
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal || documentation);
    }
}
