using System.Text.Json;
using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Protocol;

namespace Crisis.Functions.Host.Catalog;

/// <summary>One binding of a function, parsed from the JSON the worker reports in raw_bindings.</summary>
internal sealed record RawBinding(
    string Name,
    string Type,
    BindingInfo.Types.Direction Direction,
    BindingInfo.Types.DataType DataType,
    string? Route,
    IReadOnlyList<string> Methods,
    string? AuthLevel,
    string? Schedule)
{
    public bool IsTrigger => Direction == BindingInfo.Types.Direction.In && Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase);

    public static RawBinding Parse(string functionName, string json)
    {
        JsonDocument document;
        try
        {
            document = JsonFiles.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new LocalHostException($"Function '{functionName}' has a binding that is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var binding = document.RootElement;
            return new RawBinding(
                binding.StringProperty("name") ?? string.Empty,
                binding.StringProperty("type") ?? string.Empty,
                ParseDirection(binding.StringProperty("direction")),
                ParseDataType(binding.StringProperty("dataType")),
                binding.StringProperty("route"),
                binding.StringArrayProperty("methods"),
                binding.StringProperty("authLevel"),
                binding.StringProperty("schedule"));
        }
    }

    public BindingInfo ToBindingInfo() => new() { Type = Type, Direction = Direction, DataType = DataType };

    private static BindingInfo.Types.Direction ParseDirection(string? direction) => direction?.ToUpperInvariant() switch
    {
        "OUT" => BindingInfo.Types.Direction.Out,
        "INOUT" => BindingInfo.Types.Direction.Inout,
        _ => BindingInfo.Types.Direction.In,
    };

    private static BindingInfo.Types.DataType ParseDataType(string? dataType) => dataType?.ToUpperInvariant() switch
    {
        "STRING" => BindingInfo.Types.DataType.String,
        "BINARY" => BindingInfo.Types.DataType.Binary,
        "STREAM" => BindingInfo.Types.DataType.Stream,
        _ => BindingInfo.Types.DataType.Undefined,
    };
}
