using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Crisis.Functions.Common;

/// <summary>
/// Checks a JSON value against the contract the serializer reads it with (the <see cref="JsonTypeInfo"/> of the
/// target type under the app's options: property names, required and nullable properties, value kinds, enum names),
/// and records every mismatch at the JSON path the client wrote ("kind", "items[2].kind", "title.en") in words a
/// client understands: what was expected and, for an enum, the allowed values. The serializer's own messages name
/// .NET types, so they are never shown. Kinds of values the contract does not know are left to the serializer.
/// </summary>
public sealed class JsonContract(JsonSerializerOptions options)
{
    /// <param name="nullItems">Whether the items of this list or values of this map may be null (their declared nullability).</param>
    public void Check(JsonElement value, Type type, string path, Validation errors, bool nullItems = false)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(errors);
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        type = Nullable.GetUnderlyingType(type) ?? PatchValues.ValueType(type) ?? type;
        if (type.IsEnum)
        {
            CheckEnum(value, type, path, errors);
            return;
        }

        var info = options.GetTypeInfo(type);
        if (info.PolymorphismOptions is not null)
        {
            return;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                CheckObject(value, info, path, errors);
                break;
            case JsonTypeInfoKind.Enumerable when value.ValueKind != JsonValueKind.Array:
                errors.Add(Name(path), "must be an array.");
                break;
            case JsonTypeInfoKind.Enumerable:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    CheckItem(item, info.ElementType!, $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]", errors, nullItems);
                    index++;
                }

                break;
            case JsonTypeInfoKind.Dictionary when value.ValueKind != JsonValueKind.Object:
                errors.Add(Name(path), "must be an object.");
                break;
            case JsonTypeInfoKind.Dictionary:
                foreach (var entry in value.EnumerateObject())
                {
                    CheckItem(entry.Value, info.ElementType!, Join(path, entry.Name), errors, nullItems);
                }

                break;
            default:
                CheckScalar(value, type, path, errors);
                break;
        }
    }

    /// <summary>Whether the declared items of a list or map property are nullable (the last type argument's annotation), read once per property.</summary>
    private static bool ItemsMayBeNull(JsonPropertyInfo property) =>
        property.AttributeProvider is MemberInfo member && NullableItems.GetOrAdd(member, static m =>
        {
            var nullability = new NullabilityInfoContext();
            var info = m switch
            {
                PropertyInfo p => nullability.Create(p),
                FieldInfo f => nullability.Create(f),
                _ => null,
            };
            return info is { GenericTypeArguments.Length: > 0 } && info.GenericTypeArguments[^1].ReadState == NullabilityState.Nullable;
        });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MemberInfo, bool> NullableItems = new();

    /// <summary>The field name of a path: the root object is the body itself.</summary>
    public static string Name(string path) => path.Length == 0 ? "$" : path;

    private void CheckItem(JsonElement item, Type type, string path, Validation errors, bool nullable)
    {
        // The serializer honours nullable annotations on properties only, not on the items of a list or map: a null
        // item is refused here unless its declared type allows it (string? in Dictionary<string, string?>).
        if (item.ValueKind == JsonValueKind.Null && !nullable && Nullable.GetUnderlyingType(type) is null)
        {
            errors.Add(path, "must not be null.");
            return;
        }

        Check(item, type, path, errors);
    }

    private void CheckObject(JsonElement value, JsonTypeInfo info, string path, Validation errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Name(path), "must be an object.");
            return;
        }

        var comparison = options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var properties = info.Properties.Where(p => p.Set is not null || p.AssociatedParameter is not null).ToList();
        var disallowUnknown = (info.UnmappedMemberHandling ?? options.UnmappedMemberHandling) == JsonUnmappedMemberHandling.Disallow
            && !info.Properties.Any(p => p.IsExtensionData);
        var seen = new HashSet<string>(comparison);
        foreach (var member in value.EnumerateObject())
        {
            var property = properties.FirstOrDefault(p => comparison.Equals(p.Name, member.Name));
            var memberPath = Join(path, member.Name);
            if (property is null)
            {
                if (disallowUnknown)
                {
                    errors.Add(memberPath, $"is not a property of this request; the properties are: {string.Join(", ", properties.Select(p => p.Name))}.");
                }

                continue;
            }

            seen.Add(property.Name);
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                if (options.RespectNullableAnnotations && PatchValues.ValueType(property.PropertyType) is null && !(property.AssociatedParameter?.IsNullable ?? property.IsSetNullable))
                {
                    errors.Add(memberPath, $"must not be null: {Expected(property.PropertyType)}");
                }

                continue;
            }

            Check(member.Value, property.PropertyType, memberPath, errors, ItemsMayBeNull(property));
        }

        foreach (var missing in properties.Where(p => IsRequired(p) && !seen.Contains(p.Name)))
        {
            errors.Add(Join(path, missing.Name), $"is required: {Expected(missing.PropertyType)}");
        }
    }

    private bool IsRequired(JsonPropertyInfo property) =>
        property.IsRequired || (options.RespectRequiredConstructorParameters && property.AssociatedParameter is { HasDefaultValue: false, IsMemberInitializer: false });

    private void CheckEnum(JsonElement value, Type type, string path, Validation errors)
    {
        var names = EnumNames(type);
        if (value.ValueKind != JsonValueKind.String || !names.Contains(value.GetString()!, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(Name(path), $"must be one of: {string.Join(", ", names)}.");
        }
    }

    private void CheckScalar(JsonElement value, Type type, string path, Validation errors)
    {
        var fits = Type.GetTypeCode(type) switch
        {
            TypeCode.String or TypeCode.Char => value.ValueKind == JsonValueKind.String,
            TypeCode.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            TypeCode.Byte => value.ValueKind == JsonValueKind.Number && value.TryGetByte(out _),
            TypeCode.SByte => value.ValueKind == JsonValueKind.Number && value.TryGetSByte(out _),
            TypeCode.Int16 => value.ValueKind == JsonValueKind.Number && value.TryGetInt16(out _),
            TypeCode.UInt16 => value.ValueKind == JsonValueKind.Number && value.TryGetUInt16(out _),
            TypeCode.Int32 => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            TypeCode.UInt32 => value.ValueKind == JsonValueKind.Number && value.TryGetUInt32(out _),
            TypeCode.Int64 => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            TypeCode.UInt64 => value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out _),
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => value.ValueKind == JsonValueKind.Number,
            TypeCode.DateTime => value.ValueKind == JsonValueKind.String && value.TryGetDateTime(out _),
            _ when type == typeof(DateTimeOffset) => value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out _),
            _ when type == typeof(Guid) => value.ValueKind == JsonValueKind.String && value.TryGetGuid(out _),
            _ when type == typeof(Uri) || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(TimeSpan) => value.ValueKind == JsonValueKind.String,
            _ => true,
        };
        if (!fits)
        {
            errors.Add(Name(path), $"must be {Expected(type)}");
        }
    }

    /// <summary>What a value of <paramref name="type"/> looks like in JSON, as a sentence ending in a full stop.</summary>
    private string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? PatchValues.ValueType(type) ?? type;
        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", EnumNames(type))}.";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.String or TypeCode.Char => "a string.",
            TypeCode.Boolean => "true or false.",
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 =>
                $"a whole number from {Bound(type, "MinValue")} to {Bound(type, "MaxValue")}.",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number.",
            TypeCode.DateTime => "a date and time in ISO 8601 form, e.g. \"2026-12-01T12:00:00Z\".",
            _ when type == typeof(DateTimeOffset) => "a date and time in ISO 8601 form, e.g. \"2026-12-01T12:00:00Z\".",
            _ when type == typeof(Guid) => "a UUID string.",
            _ => options.GetTypeInfo(type).Kind switch
            {
                JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object.",
                JsonTypeInfoKind.Enumerable => "an array.",
                _ => "a string.",
            },
        };
    }

    private static string Bound(Type type, string field) =>
        Convert.ToString(type.GetField(field)!.GetValue(null), CultureInfo.InvariantCulture)!;

    /// <summary>The enum's values as the app serialises them (its JsonStringEnumConverter's names).</summary>
    private List<string> EnumNames(Type type) =>
        [.. Enum.GetValues(type).Cast<object>().Select(v => JsonSerializer.SerializeToElement(v, type, options).GetString()!)];

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
