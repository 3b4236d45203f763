using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public sealed class SmsOptions
{
    public const string Section = "Sms";

    /// <summary>The Azure Communication Services resource, e.g. https://contoso.communication.azure.com; empty disables SMS.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The resource's access key (base64), used to sign requests with HMAC-SHA256.</summary>
    public string? AccessKey { get; set; }

    /// <summary>The sending number (E.164) or alphanumeric sender id.</summary>
    public string? From { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The most segments one text may take; longer content is shortened to fit, never the links or the stop
    /// instruction. The page and unsubscribe links alone take about 330 characters, which in UCS-2 (Persian,
    /// Gujarati: 67 a segment) is five segments: six leave room for a sentence of content in every language.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int MaxSegments { get; set; } = 6;
}

public interface ISmsSender
{
    /// <summary>Sends a text; null when the provider accepted it, else why not.</summary>
    Task<string?> SendAsync(string phoneNumber, string text, CancellationToken cancellationToken);
}

/// <summary>
/// SMS through the Azure Communication Services REST API (<c>POST /sms?api-version=2021-03-07</c>), each request
/// signed with the access key: HMAC-SHA256 over "{verb}\n{path and query}\n{x-ms-date};{host};{x-ms-content-sha256}".
/// The provider's per-recipient answer decides delivery.
/// </summary>
public sealed class AcsSmsSender(IOptions<SmsOptions> options, TimeProvider time) : ISmsSender, IDisposable
{
    public const string PathAndQuery = "/sms?api-version=2021-03-07";
    private readonly HttpClient _client = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public async Task<string?> SendAsync(string phoneNumber, string text, CancellationToken cancellationToken)
    {
        var sms = options.Value;
        if (sms.Endpoint is null || string.IsNullOrEmpty(sms.AccessKey) || string.IsNullOrEmpty(sms.From))
        {
            throw new InvalidOperationException("SMS is not configured (Sms:Endpoint, Sms:AccessKey, Sms:From).");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            from = sms.From,
            smsRecipients = new[] { new { to = phoneNumber } },
            message = text,
            smsSendOptions = new { enableDeliveryReport = false },
        });
        var url = new Uri(sms.Endpoint, PathAndQuery);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var date = time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-content-sha256", contentHash);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={Sign(sms.AccessKey, "POST", url.PathAndQuery, date, url.Authority, contentHash)}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(sms.Timeout);
        using var response = await _client.SendAsync(request, timeout.Token);
        ProviderBusyException.ThrowIfBusy(response, time, "The SMS provider");
        if (!response.IsSuccessStatusCode)
        {
            return $"SMS provider answered HTTP {(int)response.StatusCode}";
        }

        using var answer = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(timeout.Token));
        var result = answer.RootElement.GetProperty("value").EnumerateArray().FirstOrDefault();
        return result.ValueKind == JsonValueKind.Object && result.TryGetProperty("successful", out var ok) && ok.GetBoolean()
            ? null
            : "SMS provider refused the message" + (result.ValueKind == JsonValueKind.Object && result.TryGetProperty("errorMessage", out var why) ? ": " + why.GetString() : "");
    }

    /// <summary>The request signature: base64(HMAC-SHA256(access key, "{verb}\n{path and query}\n{date};{host};{content hash}")).</summary>
    public static string Sign(string accessKey, string verb, string pathAndQuery, string date, string host, string contentHash)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        var signed = $"{verb}\n{pathAndQuery}\n{date};{host};{contentHash}";
        return Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(accessKey), Encoding.UTF8.GetBytes(signed)));
    }

    public void Dispose() => _client.Dispose();
}
