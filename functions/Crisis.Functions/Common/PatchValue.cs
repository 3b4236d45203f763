using System.Text.Json;
using System.Text.Json.Serialization;

namespace Crisis.Functions.Common;

/// <summary>
/// A field of a partial edit that can be left out, set, or set to null to clear it (RFC 7396 merge-patch
/// semantics): <see cref="IsPresent"/> is false when the property was absent from the body.
/// </summary>
[JsonConverter(typeof(PatchValueConverterFactory))]
public readonly record struct PatchValue<T>(bool IsPresent, T? Value)
    where T : struct;

/// <summary>What JSON contract checks and the OpenAPI document see through: a patch field is a nullable <c>T</c>.</summary>
public static class PatchValues
{
    /// <summary>The <c>T</c> of a <see cref="PatchValue{T}"/> type, else null.</summary>
    public static Type? ValueType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PatchValue<>) ? type.GetGenericArguments()[0] : null;
    }
}

/// <summary>Reads <see cref="PatchValue{T}"/>: a JSON null is present-and-null; an absent property never reaches the converter.</summary>
public sealed class PatchValueConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(PatchValue<>);
    }

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return (JsonConverter)Activator.CreateInstance(typeof(PatchValueConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
    }

    private sealed class PatchValueConverter<T> : JsonConverter<PatchValue<T>>
        where T : struct
    {
        public override bool HandleNull => true;

        public override PatchValue<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? new(true, null) : new(true, JsonSerializer.Deserialize<T>(ref reader, options));

        public override void Write(Utf8JsonWriter writer, PatchValue<T> value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (value.Value is { } present)
            {
                JsonSerializer.Serialize(writer, present, options);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
