using System.Security.Cryptography;
using Crisis.Functions.Access;

namespace Crisis.Functions.Hosting;

/// <summary>What <c>--local</c> adds: an embedded, persisted Azurite, a fresh admin key for this run, and a banner with the URLs.</summary>
internal sealed class LocalRun : IAsyncDisposable
{
    public const string Flag = "--local";

    /// <summary>Where the local Azurite keeps its data, relative to the working directory (the repository root).</summary>
    public const string DataFolder = ".azurite";

    private LocalRun(EmbeddedAzurite azurite, string adminKey, string contactHashKey)
    {
        Azurite = azurite;
        AdminKey = adminKey;
        _contactHashKey = contactHashKey;
    }

    private readonly string _contactHashKey;

    /// <summary>Secrets for this run only: signed links and webhook signatures made now stop verifying after a restart.</summary>
    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public EmbeddedAzurite Azurite { get; }

    public string AdminKey { get; }

    /// <summary>Command-line settings pointing the app at the embedded storage and accepting the run's admin key.</summary>
    public string[] Settings =>
    [
        $"--Storage:ConnectionString={Azurite.ConnectionString}",
        "--Access:ApiKeys:0:Name=local-admin",
        "--Access:ApiKeys:0:Role=admin",
        $"--Access:ApiKeys:0:Sha256={ApiKeyAuthenticationHandler.Hash(AdminKey)}",
        "--Tokens:SigningKeys:0:Id=local",
        $"--Tokens:SigningKeys:0:Secret={NewSecret()}",
        $"--Webhooks:SigningSecret=whsec_{NewSecret()}",
        $"--Subscriptions:ContactHashKey={_contactHashKey}",
    ];

    public static bool IsRequested(string[] args) => args.Contains(Flag);

    public static async Task<LocalRun> StartAsync()
    {
        var azurite = await EmbeddedAzurite.StartAsync(Path.GetFullPath(DataFolder));
        return new LocalRun(azurite, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), await ContactHashKeyAsync());
    }

    /// <summary>The contact hash key is kept with the data it indexes (subscribers stay findable across runs).</summary>
    private static async Task<string> ContactHashKeyAsync()
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.GetFullPath(DataFolder)).FullName, "contact-hash-key");
        if (File.Exists(path))
        {
            return (await File.ReadAllTextAsync(path)).Trim();
        }

        var key = NewSecret();
        await File.WriteAllTextAsync(path, key);
        return key;
    }

    public void PrintUrlsOnStart(WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var baseUrl = app.Urls.FirstOrDefault()?.TrimEnd('/') ?? "http://localhost:7071";
            Console.WriteLine($"""

                Crisis.Functions is running at {baseUrl}
                  health:        {baseUrl}/api/health
                  OpenAPI:       {baseUrl}/api/openapi/v1.json
                  public crises: {baseUrl}/api/crises          (demo page: add /{Demo.DemoContent.CrisisId}?lang=en|cy|fa|sw)
                  admin key:     {AdminKey}
                                 curl -H "Authorization: Bearer {AdminKey}" {baseUrl}/api/admin/crises
                  storage:       Azurite (data in {DataFolder}/), blob port {Azurite.BlobPort}, table port {Azurite.TablePort}
                Timers fire locally on their schedules. Press Ctrl-C to stop the app and Azurite.

                """);
        });
    }

    public ValueTask DisposeAsync() => Azurite.DisposeAsync();
}
