using System.Text.Json;
using Crisis.Functions.Host.Protocol;

namespace Crisis.Functions.Host.FunctionApp;

/// <summary>Reads functions.metadata, the index the Worker SDK writes at build time, for workers that leave indexing to the host.</summary>
internal static class FunctionsMetadataFile
{
    public const string FileName = "functions.metadata";

    public static IReadOnlyList<RpcFunctionMetadata> Read(string appDirectory)
    {
        var path = Path.Combine(appDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new LocalHostException($"The worker left function indexing to the host, but {path} does not exist.");
        }

        using var document = JsonFiles.Read(path);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new LocalHostException($"{path} is not a JSON array of functions.");
        }

        return [.. document.RootElement.EnumerateArray().Select(ToMetadata)];
    }

    private static RpcFunctionMetadata ToMetadata(JsonElement function)
    {
        var metadata = new RpcFunctionMetadata
        {
            Name = function.StringProperty("name") ?? string.Empty,
            FunctionId = Guid.NewGuid().ToString(),
            ScriptFile = function.StringProperty("scriptFile") ?? string.Empty,
            EntryPoint = function.StringProperty("entryPoint") ?? string.Empty,
            Language = function.StringProperty("language") ?? string.Empty,
        };

        if (function.Property("bindings") is { ValueKind: JsonValueKind.Array } bindings)
        {
            metadata.RawBindings.AddRange(bindings.EnumerateArray().Select(binding => binding.GetRawText()));
        }

        if (function.Property("properties") is { ValueKind: JsonValueKind.Object } properties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                metadata.Properties[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : property.Value.GetRawText();
            }
        }

        return metadata;
    }
}
