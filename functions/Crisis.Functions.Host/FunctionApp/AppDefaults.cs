using System.Text.Json;

namespace Crisis.Functions.Host.FunctionApp;

/// <summary>The top-level string settings of the worker's appsettings.json, if it has one.</summary>
internal static class AppDefaults
{
    public const string FileName = "appsettings.json";

    public static IReadOnlyDictionary<string, string?> Load(string appDirectory)
    {
        var path = Path.Combine(appDirectory, FileName);
        if (!File.Exists(path))
        {
            return new Dictionary<string, string?>();
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.ValueKind != JsonValueKind.Object
            ? new Dictionary<string, string?>()
            : document.RootElement.EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.String)
                .ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.OrdinalIgnoreCase);
    }
}
