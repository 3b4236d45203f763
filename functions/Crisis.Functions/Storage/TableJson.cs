using System.Text.Encodings.Web;
using System.Text.Json;
using Azure.Data.Tables;
using Crisis.Functions.Common;

namespace Crisis.Functions.Storage;

/// <summary>A document is larger than one entity can hold once stored: input the validators let through, refused before anything is written.</summary>
public sealed class DocumentTooLargeException(string message)
    : StorageException(message, "EntityTooLarge", null);

/// <summary>
/// JSON documents in table properties. A string property holds 32K characters, which ten languages of
/// quote-heavy text pass once JSON-escaped: a longer document is split over numbered properties
/// (<c>Data</c>, <c>Data1</c>, …) within the entity's 1 MiB, and read back whole. Written with minimal escaping
/// (storage is never rendered as HTML), so text costs what it is plus a backslash per quote.
/// </summary>
public static class TableJson
{
    /// <summary>The serializer options for what is stored: the API's, with minimal escaping.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonBody.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parts a document may take: 15 × 64 KiB of UTF-16 leaves room in the 1 MiB entity for its other properties.</summary>
    public const int MaxParts = 15;

    public const int MaxLength = MaxParts * EntityLimits.MaxStringLength;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Stores <paramref name="json"/> in <paramref name="property"/> and as many numbered properties after it as it needs.</summary>
    public static void Put(TableEntity entity, string property, string json)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxLength)
        {
            throw new DocumentTooLargeException($"The document takes {json.Length} characters once stored; at most {MaxLength} fit.");
        }

        var part = 0;
        for (var start = 0; start < json.Length || part == 0; part++)
        {
            var length = Math.Min(EntityLimits.MaxStringLength, json.Length - start);
            if (start + length < json.Length && char.IsHighSurrogate(json[start + length - 1]))
            {
                // A surrogate pair stays in one part: each part is then valid UTF-16 on its own.
                length--;
            }

            entity[PartName(property, part)] = json.Substring(start, length);
            start += length;
        }
    }

    /// <summary>The document stored by <see cref="Put"/> (or as one plain property), or null when there is none.</summary>
    public static string? Get(TableEntity entity, string property)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.GetString(property) is not { } first)
        {
            return null;
        }

        if (entity.GetString(PartName(property, 1)) is null)
        {
            return first;
        }

        var whole = new System.Text.StringBuilder(first);
        for (var part = 1; entity.GetString(PartName(property, part)) is { } next; part++)
        {
            whole.Append(next);
        }

        return whole.ToString();
    }

    public static T Read<T>(TableEntity entity, string property) =>
        JsonSerializer.Deserialize<T>(Get(entity, property) ?? throw new InvalidOperationException($"The entity has no '{property}'."), Options)!;

    private static string PartName(string property, int part) => part == 0 ? property : property + part.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
