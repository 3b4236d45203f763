namespace Crisis.Functions.Host.FunctionApp;

/// <summary>The parts of the app's host.json this host honours.</summary>
internal sealed record HostJson(string RoutePrefix)
{
    private const string DefaultRoutePrefix = "api";

    public static HostJson Load(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(path))
        {
            return new HostJson(DefaultRoutePrefix);
        }

        using var document = JsonFiles.Read(path);
        var prefix = document.RootElement.Property("extensions")?.Property("http")?.StringProperty("routePrefix");
        return new HostJson((prefix ?? DefaultRoutePrefix).Trim('/'));
    }
}
