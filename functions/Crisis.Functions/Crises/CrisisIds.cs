using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Crisis.Functions.Crises;

/// <summary>Crisis ids: a readable slug of the title plus a random suffix, e.g. "river-flood-k7m2qx".</summary>
public static partial class CrisisIds
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    public static string New(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        var ascii = new StringBuilder();
        // The id is made before the title is validated: a title that breaks the text rules still makes an id
        // (normalising refuses noncharacters such as U+FFFE), and validation then refuses the request.
        foreach (var c in Common.UnicodeText.ForXml(title).Normalize(NormalizationForm.FormD))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                ascii.Append(char.ToLowerInvariant(c));
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark && ascii.Length > 0 && ascii[^1] != '-')
            {
                ascii.Append('-');
            }
        }

        var slug = ascii.ToString().Trim('-');
        if (slug.Length > 40)
        {
            slug = slug[..40].TrimEnd('-');
        }

        var suffix = string.Create(6, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
        return slug.Length == 0 ? "crisis-" + suffix : slug + "-" + suffix;
    }

    /// <summary>Whether a route value can be a crisis id at all (lowercase letters, digits, hyphens; at most 64).</summary>
    /// <summary>The longest crisis id <see cref="WellFormed"/> matches, declared as the OpenAPI maxLength.</summary>
    public const int MaxId = 64;

    public static bool IsWellFormed(string? id) => id is not null && WellFormed().IsMatch(id);

    /// <summary>Whether a route value can be a child id (FAQ entry, update, question): letters, digits, '-', '_'.</summary>
    public static bool IsWellFormedChild(string? id) => id is not null && ChildWellFormed().IsMatch(id);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\\z")]
    private static partial Regex WellFormed();

    /// <summary>The longest id <see cref="ChildWellFormed"/> matches, declared as the OpenAPI maxLength.</summary>
    public const int MaxChildId = 64;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z")]
    private static partial Regex ChildWellFormed();
}
