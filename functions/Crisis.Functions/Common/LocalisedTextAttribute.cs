namespace Crisis.Functions.Common;

/// <summary>
/// A text per language (a map from language tag to text) whose texts are at most <see cref="MaxLength"/> characters
/// and whose languages, when limited, are at most <see cref="MaxLanguages"/>. The validation reads the same constants
/// the attribute is given; the OpenAPI document declares them as the map's <c>additionalProperties.maxLength</c> and
/// <c>maxProperties</c>, which a property attribute such as MaxLength cannot say of a map's values.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class LocalisedTextAttribute(int maxLength) : Attribute
{
    public int MaxLength { get; } = maxLength;

    /// <summary>The most languages, for texts in a crisis' languages; 0 where the languages are not limited (a touchpoint's).</summary>
    public int MaxLanguages { get; init; }

    /// <summary>When each language holds a list of texts rather than one: the most texts per language.</summary>
    public int MaxItems { get; init; }
}

/// <summary>
/// A list of strings each at most <see cref="MaxLength"/> characters, declared as the OpenAPI <c>items.maxLength</c>
/// (MaxLength on a list property limits its count).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class ItemMaxLengthAttribute(int maxLength) : Attribute
{
    public int MaxLength { get; } = maxLength;
}
