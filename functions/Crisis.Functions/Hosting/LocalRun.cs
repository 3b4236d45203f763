namespace Crisis.Functions.Hosting;

/// <summary>What <c>--local</c> adds: an embedded, persisted Azurite and a banner with the URLs.</summary>
internal static class LocalRun
{
    public const string Flag = "--local";

    /// <summary>Where the local Azurite keeps its data, relative to the working directory (the repository root).</summary>
    public const string DataFolder = ".azurite";

    public static bool IsRequested(string[] args) => args.Contains(Flag);

    public static async Task<EmbeddedAzurite> StartStorageAsync()
    {
        var azurite = await EmbeddedAzurite.StartAsync(Path.GetFullPath(DataFolder));
        Console.WriteLine($"Azurite (data in {DataFolder}/): blob http://127.0.0.1:{azurite.BlobPort}, table http://127.0.0.1:{azurite.TablePort}");
        return azurite;
    }

    public static void PrintUrlsOnStart(WebApplication app, EmbeddedAzurite azurite)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var baseUrl = app.Urls.FirstOrDefault()?.TrimEnd('/') ?? "http://localhost:7071";
            Console.WriteLine($"""

                Crisis.Functions is running at {baseUrl}
                  health:   {baseUrl}/api/health
                  OpenAPI:  {baseUrl}/api/openapi/v1.json
                  storage:  Azurite, blob port {azurite.BlobPort}, table port {azurite.TablePort}
                Timers fire locally on their schedules. Press Ctrl-C to stop the app and Azurite.

                """);
        });
    }
}
