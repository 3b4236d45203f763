namespace Crisis.Functions.Common;

/// <summary>
/// A text per language (a map from language tag to text) whose texts are at most <see cref="MaxLength"/> characters
/// and whose languages are at most <see cref="MaxLanguages"/>. The validation reads the same constants the attribute
/// is given; the OpenAPI document declares them as the map's <c>additionalProperties.maxLength</c> and
/// <c>maxProperties</c>, which a property attribute such as MaxLength cannot say of a map's values.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class LocalisedTextAttribute(int maxLength, int maxLanguages) : Attribute
{
    public int MaxLength { get; } = maxLength;

    public int MaxLanguages { get; } = maxLanguages;
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
