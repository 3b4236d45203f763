using System.Collections;
using Azure;

namespace Crisis.Functions.Storage.Tables;

/// <summary>
/// A table entity: keys, ETag, timestamp and typed properties. Property values are one of the EDM types the
/// Table service stores: <see cref="string"/>, <see cref="int"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateTimeOffset"/>, <see cref="Guid"/>, <see cref="byte"/>[].
/// </summary>
public sealed class TableEntity : IEnumerable<KeyValuePair<string, object>>
{
    private readonly Dictionary<string, object> _properties = new(StringComparer.Ordinal);

    public TableEntity(string partitionKey, string rowKey)
    {
        TableKeys.Validate(partitionKey, nameof(partitionKey));
        TableKeys.Validate(rowKey, nameof(rowKey));
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; }

    public string RowKey { get; }

    public ETag ETag { get; set; }

    public DateTimeOffset? Timestamp { get; internal set; }

    public int Count => _properties.Count;

    /// <summary>Gets or sets a property; setting null removes it (the Table service has no null values).</summary>
    public object? this[string name]
    {
        get => _properties.GetValueOrDefault(name);
        set
        {
            EntityJson.ValidatePropertyName(name);
            if (value is null)
            {
                _properties.Remove(name);
            }
            else
            {
                _properties[name] = EntityJson.NormaliseValue(name, value);
            }
        }
    }

    public bool ContainsKey(string name) => _properties.ContainsKey(name);

    public string? GetString(string name) => Get<string>(name);

    public int? GetInt32(string name) => Get<int>(name);

    public long? GetInt64(string name) => _properties.GetValueOrDefault(name) switch
    {
        long l => l,
        int i => i,
        null => null,
        var other => throw WrongType(name, other, typeof(long)),
    };

    public double? GetDouble(string name) => _properties.GetValueOrDefault(name) switch
    {
        double d => d,
        int i => i,
        null => null,
        var other => throw WrongType(name, other, typeof(double)),
    };

    public bool? GetBoolean(string name) => Get<bool>(name);

    public DateTimeOffset? GetDateTimeOffset(string name) => Get<DateTimeOffset>(name);

    public Guid? GetGuid(string name) => Get<Guid>(name);

    public byte[]? GetBinary(string name) => _properties.GetValueOrDefault(name) switch
    {
        byte[] bytes => bytes,
        null => null,
        var other => throw WrongType(name, other, typeof(byte[])),
    };

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private T? Get<T>(string name) => _properties.GetValueOrDefault(name) switch
    {
        T value => value,
        null => default,
        var other => throw WrongType(name, other, typeof(T)),
    };

    private static InvalidOperationException WrongType(string name, object value, Type expected) =>
        new($"Property '{name}' holds a {value.GetType().Name}, not a {expected.Name}.");
}

/// <summary>The Table service's rules for PartitionKey and RowKey values.</summary>
public static class TableKeys
{
    public const int MaxLength = 1024;

    public static bool IsValid(string? key) =>
        key is not null
        && key.Length <= MaxLength
        && !key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    public static void Validate(string? key, string parameterName)
    {
        if (!IsValid(key))
        {
            throw new ArgumentException(
                "A table key must be at most 1024 characters without '/', '\\', '#', '?' or control characters.",
                parameterName);
        }
    }
}
