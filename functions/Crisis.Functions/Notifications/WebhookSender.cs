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

    /// <summary>
    /// Receivers allowed even though they resolve to loopback or private addresses (tests, internal receivers):
    /// <c>host:port</c> (one receiver) or <c>host</c> (any port of it). They apply to the webhooks admins configure
    /// (stakeholders, source-of-truth subscribers); anonymous subscriptions get them only with
    /// <see cref="AllowPrivateHostsForSubscribers"/>.
    /// </summary>
    public List<string> AllowedPrivateHosts { get; set; } = [];

    /// <summary>Whether anonymous subscribers may name an allow-listed private receiver too (off: only public addresses).</summary>
    public bool AllowPrivateHostsForSubscribers { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Entries of <see cref="WebhookOptions.AllowedPrivateHosts"/>: a host, or a host and port.</summary>
public static class PrivateHosts
{
    /// <summary>Whether <paramref name="entry"/> is a host name or address, optionally with ":port" ("[::1]:8080" for IPv6).</summary>
    public static bool IsWellFormed(string entry) =>
        Uri.TryCreate("http://" + entry, UriKind.Absolute, out var uri) && uri.Authority.Equals(entry, StringComparison.OrdinalIgnoreCase) && uri.AbsolutePath == "/"
        || Uri.CheckHostName(entry) != UriHostNameType.Unknown;

    /// <summary>Whether one of <paramref name="entries"/> names the host of <paramref name="url"/> (and its port, when the entry has one).</summary>
    public static bool Allow(IReadOnlyCollection<string> entries, Uri url)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(url);
        return entries.Any(entry => entry.Equals(url.Host, StringComparison.OrdinalIgnoreCase) || entry.Equals(url.IdnHost, StringComparison.OrdinalIgnoreCase)
            || entry.Equals(url.Authority, StringComparison.OrdinalIgnoreCase));
    }
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
            // Connections are reused between messages (the pool is keyed by scheme, host and port, and whether a
            // private address is allowed depends on those alone); each new connection goes through ConnectSafelyAsync.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectSafelyAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Checks what can be checked without DNS: scheme, length, credentials, a literal address.</summary>
    public static string? Validate(string? url, IReadOnlyCollection<string> allowedPrivateHosts)
    {
        ArgumentNullException.ThrowIfNull(allowedPrivateHosts);
        // Uri accepts (and quietly drops) line breaks and spaces inside an address; the address stored must be the one used.
        if (string.IsNullOrWhiteSpace(url) || url.Length > Common.Validation.MaxUrl || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
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

        if (!PrivateHosts.Allow(allowedPrivateHosts, uri)
            && (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && !IsPublic(literal)
                || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
                || uri.Host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)))
        {
            return "must point at a public address.";
        }

        return null;
    }

    /// <summary>
    /// Sends and returns the status; throws <see cref="UnsafeWebhookException"/> for a refused destination and
    /// <see cref="ProviderBusyException"/> when the receiver asks to slow down.
    /// </summary>
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
        request.Options.Set(AllowPrivate, PrivateHosts.Allow(options.AllowedPrivateHosts, url));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        ProviderBusyException.ThrowIfBusy(response, _time, "The webhook receiver");
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
    /// False for every address that is not a public unicast one (the IANA special-purpose registries): loopback,
    /// private (RFC 1918, ULA), link-local (incl. cloud metadata 169.254.169.254), CGNAT, documentation and
    /// benchmarking ranges, unspecified, reserved and multicast, Azure's platform address 168.63.129.16, Teredo
    /// (its IPv4 is hidden), and IPv6 forms that carry an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4)
    /// unless that IPv4 address is public itself.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } embedded)
        {
            return IsPublic(embedded);
        }

        return !NotPublic.Any(range => range.Contains(address));
    }

    /// <summary>The IPv4 address an IPv6 address stands for by construction, or null.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        var b = address.GetAddressBytes();
        foreach (var (range, offset) in IPv4Carriers)
        {
            if (range.Contains(address) && !(offset == 12 && b.AsSpan(12).SequenceEqual(new byte[] { 0, 0, 0, 1 })))
            {
                return new IPAddress(b.AsSpan(offset, 4));
            }
        }

        return null;
    }

    /// <summary>IPv6 ranges that carry an IPv4 address, and where: mapped, SIIT (RFC 6052/7915), NAT64 well-known and local-use, 6to4, and the deprecated compatible form.</summary>
    private static readonly (IPNetwork Range, int Offset)[] IPv4Carriers =
    [
        (IPNetwork.Parse("::ffff:0:0/96"), 12),
        (IPNetwork.Parse("::ffff:0:0:0/96"), 12),
        (IPNetwork.Parse("64:ff9b::/96"), 12),
        (IPNetwork.Parse("64:ff9b:1::/48"), 12),
        (IPNetwork.Parse("2002::/16"), 2),
        (IPNetwork.Parse("::/96"), 12),
    ];

    private static readonly IPNetwork[] NotPublic =
    [.. new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/3", "168.63.129.16/32",
        "::/127", "100::/64", "2001::/32", "2001:2::/48", "2001:10::/28", "2001:20::/28", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    }.Select(IPNetwork.Parse)];
}
