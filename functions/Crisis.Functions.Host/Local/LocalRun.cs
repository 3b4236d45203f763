using System.Security.Cryptography;
using System.Text;

namespace Crisis.Functions.Host.Local;

/// <summary>
/// What <c>--local</c> (the README's <c>npm start</c>) adds around the host: an Azurite persisted in
/// <c>.azurite/</c>, the app settings that point the worker at it, a fresh admin key for this run, the demo crisis,
/// and secrets kept beside the data they protect, so links already sent and subscribers already stored keep
/// working after a restart. A setting given on the command line or in the environment wins over a kept one.
/// </summary>
public sealed class LocalRun : IAsyncDisposable
{
    /// <summary>Where the local Azurite keeps its data and the local secrets, relative to the working directory (the repository root).</summary>
    public const string DataFolder = ".azurite";
    public const string WebhookSecretFile = "webhook-signing-secret";

    private LocalRun(EmbeddedAzurite azurite, string adminKey, IReadOnlyDictionary<string, string?> settings)
    {
        Azurite = azurite;
        AdminKey = adminKey;
        Settings = settings;
    }

    public EmbeddedAzurite Azurite { get; }

    /// <summary>This run's admin key (a new one each run; only its hash reaches the app).</summary>
    public string AdminKey { get; }

    /// <summary>The app settings for the worker: the local ones, overridden by <c>given</c>.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>Where the webhook signing secret comes from: the environment, a --Webhooks:SigningSecret setting, or the file kept in the data folder.</summary>
    public string WebhookSecretSource { get; private init; } = "";

    /// <summary>Starts Azurite on the data in <paramref name="dataFolder"/> (default <see cref="DataFolder"/>) with the keys kept there.</summary>
    public static async Task<LocalRun> StartAsync(IReadOnlyDictionary<string, string?> given, string? dataFolder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(given);
        var data = Directory.CreateDirectory(Path.GetFullPath(dataFolder ?? DataFolder)).FullName;
        var azurite = await EmbeddedAzurite.StartAsync(data, cancellationToken: cancellationToken);
        var adminKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Access:ApiKeys:0:Name"] = "local-admin",
            ["Access:ApiKeys:0:Role"] = "admin",
            ["Access:ApiKeys:0:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(adminKey))),
            ["Tokens:SigningKeys:0:Id"] = "local",
            ["Tokens:SigningKeys:0:Secret"] = await KeptSecretAsync(data, "token-signing-key", cancellationToken),
            ["Subscriptions:ContactHashKey"] = await KeptSecretAsync(data, "contact-hash-key", cancellationToken),
            ["Demo:Seed"] = "true",
        };
        string source;
        if (given.ContainsKey("Webhooks:SigningSecret"))
        {
            source = "the --Webhooks:SigningSecret setting";
        }
        else if (Environment.GetEnvironmentVariable("Webhooks__SigningSecret") is not null)
        {
            source = "the Webhooks__SigningSecret environment variable";
        }
        else
        {
            settings["Webhooks:SigningSecret"] = "whsec_" + await KeptSecretAsync(data, WebhookSecretFile, cancellationToken);
            source = Path.Combine(data, WebhookSecretFile);
        }

        foreach (var (name, value) in given)
        {
            settings[name] = value;
        }

        return new LocalRun(azurite, adminKey, settings) { WebhookSecretSource = source };
    }

    /// <summary>The lines the start banner adds for a local run.</summary>
    public string Describe(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var root = baseAddress.AbsoluteUri.TrimEnd('/');
        return $"""

            Crisis.Functions, locally:
              health:        {root}/api/health
              OpenAPI:       {root}/api/openapi/v1.json
              pages:         {root}/api/c               (the demo crisis page: {root}/api/c/regional-flooding-demo?lang=en|cy|fa|sw)
              public crises: {root}/api/crises          (JSON; demo: add /regional-flooding-demo?lang=en|cy|fa|sw)
              admin key:     {AdminKey}   (new for each run)
                             curl -H "Authorization: Bearer {AdminKey}" {root}/api/admin/crises
              storage:       Azurite, data in {DataFolder}/ (blob port {Azurite.BlobPort}, table port {Azurite.TablePort})
              secrets:       link-signing key and contact-hash key kept in {DataFolder}/ (links already sent keep working)
              webhooks:      signed with the secret from {WebhookSecretSource}
                             (a Webhooks__SigningSecret in the environment or a --Webhooks:SigningSecret wins over the kept one)
            """;
    }

    public ValueTask DisposeAsync() => Azurite.DisposeAsync();

    /// <summary>A random 32-byte secret (base64) kept in <paramref name="name"/> in the data folder, made on first use.</summary>
    private static async Task<string> KeptSecretAsync(string data, string name, CancellationToken cancellationToken)
    {
        var path = Path.Combine(data, name);
        if (File.Exists(path))
        {
            return (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
        }

        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await File.WriteAllTextAsync(path, secret, cancellationToken);
        return secret;
    }
}
