using System.Globalization;
using Azure.Core;

namespace Crisis.Functions.Storage;

/// <summary>The endpoints of one storage account and how requests to it are authorised.</summary>
public sealed class StorageAccount
{
    /// <summary>The documented, public key of the local storage emulator's account.</summary>
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string DevelopmentAccountName = "devstoreaccount1";

    private StorageAccount(string name, Uri blobEndpoint, Uri tableEndpoint, byte[]? sharedKey, TokenCredential? credential)
    {
        Name = name;
        BlobEndpoint = blobEndpoint;
        TableEndpoint = tableEndpoint;
        SharedKey = sharedKey;
        Credential = credential;
    }

    public string Name { get; }

    public Uri BlobEndpoint { get; }

    public Uri TableEndpoint { get; }

    internal byte[]? SharedKey { get; }

    internal TokenCredential? Credential { get; }

    public bool UsesSharedKey => SharedKey is not null;

    public static StorageAccount FromTokenCredential(Uri blobEndpoint, Uri tableEndpoint, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(blobEndpoint);
        ArgumentNullException.ThrowIfNull(tableEndpoint);
        ArgumentNullException.ThrowIfNull(credential);
        RequireHttps(blobEndpoint, "blob");
        RequireHttps(tableEndpoint, "table");
        var name = blobEndpoint.Host.Split('.')[0];
        return new StorageAccount(name, Normalise(blobEndpoint), Normalise(tableEndpoint), null, credential);
    }

    /// <summary>
    /// Parses an Azure Storage connection string: <c>UseDevelopmentStorage=true</c>, or
    /// <c>AccountName</c> + <c>AccountKey</c> with either <c>EndpointSuffix</c>/<c>DefaultEndpointsProtocol</c>
    /// or explicit <c>BlobEndpoint</c>/<c>TableEndpoint</c>.
    /// </summary>
    public static StorageAccount FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("The storage connection string has a setting without a name or '='.");
            }

            settings[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development)
            && string.Equals(development, "true", StringComparison.OrdinalIgnoreCase))
        {
            return new StorageAccount(
                DevelopmentAccountName,
                new Uri("http://127.0.0.1:10000/devstoreaccount1"),
                new Uri("http://127.0.0.1:10002/devstoreaccount1"),
                Convert.FromBase64String(DevelopmentAccountKey),
                null);
        }

        if (!settings.TryGetValue("AccountName", out var name) || string.IsNullOrEmpty(name))
        {
            throw new FormatException("The storage connection string has no AccountName.");
        }

        if (!settings.TryGetValue("AccountKey", out var key) || string.IsNullOrEmpty(key))
        {
            throw new FormatException("The storage connection string has no AccountKey; use endpoints with a managed identity instead of a key-less connection string.");
        }

        byte[] keyBytes;
        try
        {
            keyBytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw new FormatException("The storage connection string's AccountKey is not base64.");
        }

        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net");
        var blob = Endpoint(settings, "BlobEndpoint", protocol, name, "blob", suffix);
        var table = Endpoint(settings, "TableEndpoint", protocol, name, "table", suffix);
        return new StorageAccount(name, blob, table, keyBytes, null);
    }

    private static Uri Endpoint(Dictionary<string, string> settings, string key, string protocol, string account, string service, string suffix)
    {
        var text = settings.TryGetValue(key, out var explicitEndpoint)
            ? explicitEndpoint
            : string.Create(CultureInfo.InvariantCulture, $"{protocol}://{account}.{service}.{suffix}");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"The storage connection string's {key} is not an http(s) URL.");
        }

        return Normalise(uri);
    }

    private static void RequireHttps(Uri endpoint, string service)
    {
        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"The {service} endpoint must use https when authorised with a token.", nameof(endpoint));
        }
    }

    private static Uri Normalise(Uri endpoint) => new(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/'));
}
