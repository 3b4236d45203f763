using System.Text.Json;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Crisis.Functions.Storage;

/// <summary>The client options of our storage clients: Azure.Core's retry (5xx, 408, 429, I/O errors) and timeouts.</summary>
public sealed class StorageClientOptions : ClientOptions
{
    public StorageClientOptions()
    {
        Retry.MaxRetries = 4;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromMilliseconds(200);
        Retry.MaxDelay = TimeSpan.FromSeconds(8);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        Diagnostics.IsDistributedTracingEnabled = false;
    }
}

/// <summary>
/// One service endpoint (blob or table) of an account, reached through an Azure.Core pipeline that signs
/// every attempt with the shared key or a bearer token for https://storage.azure.com/.
/// </summary>
public sealed class StoragePipeline
{
    public const string TokenScope = "https://storage.azure.com/.default";

    public StoragePipeline(StorageAccount account, StorageService service, StorageClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        Service = service;
        AccountName = account.Name;
        Endpoint = service == StorageService.Blob ? account.BlobEndpoint : account.TableEndpoint;
        HttpPipelinePolicy authorisation = account.SharedKey is { } key
            ? new SharedKeyPolicy(account.Name, key, service, time)
            : new BearerTokenAuthenticationPolicy(account.Credential!, TokenScope);
        Pipeline = HttpPipelineBuilder.Build(options, authorisation);
    }

    public StorageService Service { get; }

    public string AccountName { get; }

    public Uri Endpoint { get; }

    internal HttpPipeline Pipeline { get; }

    /// <summary>A request to <paramref name="escapedPath"/> (already percent-encoded) below the endpoint.</summary>
    internal HttpMessage CreateMessage(RequestMethod method, string escapedPath)
    {
        var message = Pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(new Uri(Endpoint.AbsoluteUri.TrimEnd('/') + "/" + escapedPath.TrimStart('/')));
        request.Headers.Add("x-ms-version", Service == StorageService.Blob ? "2021-12-02" : "2019-02-02");
        if (Service == StorageService.Table)
        {
            request.Headers.Add("Accept", "application/json;odata=minimalmetadata");
            request.Headers.Add("DataServiceVersion", "3.0");
            request.Headers.Add("MaxDataServiceVersion", "3.0;NetFx");
        }

        return message;
    }

    /// <summary>Sends the message; any status not in <paramref name="expected"/> becomes a typed <see cref="StorageRequestException"/>.</summary>
    internal async Task<Response> SendAsync(HttpMessage message, string operation, CancellationToken cancellationToken, params int[] expected)
    {
        await Pipeline.SendAsync(message, cancellationToken);
        var response = message.Response;
        if (Array.IndexOf(expected, response.Status) >= 0)
        {
            return response;
        }

        throw ToException(response, operation);
    }

    internal static StorageRequestException ToException(Response response, string operation, int? failedActionIndex = null)
    {
        response.Headers.TryGetValue("x-ms-error-code", out var code);
        string? serviceMessage = null;
        var body = response.Content?.ToString();
        if (!string.IsNullOrWhiteSpace(body))
        {
            (var bodyCode, serviceMessage) = ParseErrorBody(body);
            code ??= bodyCode;
        }

        return StorageRequestException.Create(response.Status, code, serviceMessage, operation, failedActionIndex);
    }

    /// <summary>Reads the code and message of a Table (JSON <c>odata.error</c>) or Blob (XML <c>Error</c>) error body.</summary>
    internal static (string? Code, string? Message) ParseErrorBody(string body)
    {
        var trimmed = body.TrimStart();
        try
        {
            if (trimmed.StartsWith('{'))
            {
                using var document = JsonDocument.Parse(trimmed);
                if (document.RootElement.TryGetProperty("odata.error", out var error))
                {
                    var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    var message = error.TryGetProperty("message", out var m)
                        ? m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ToString()
                        : null;
                    return (code, message);
                }
            }
            else if (trimmed.StartsWith('<'))
            {
                var root = XDocument.Parse(trimmed).Root;
                return (root?.Element("Code")?.Value, root?.Element("Message")?.Value);
            }
        }
        catch (Exception e) when (e is JsonException or System.Xml.XmlException)
        {
            return (null, null);
        }

        return (null, null);
    }

    internal static ETag ReadETag(Response response) =>
        response.Headers.TryGetValue("ETag", out var value) ? new ETag(value) : default;

    internal static DateTimeOffset? ReadLastModified(Response response) =>
        response.Headers.TryGetValue("Last-Modified", out var value)
        && DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : null;
}
