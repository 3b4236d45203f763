using System.Globalization;
using System.Text;

namespace Crisis.Functions.Common;

/// <summary>
/// Folds text for searching: case-insensitive, and accent-insensitive where accents are optional in writing
/// (Latin, Greek, Cyrillic diacritics; Arabic and Hebrew vowel points; Arabic/Persian letter variants), while
/// keeping the vowel signs that are letters in Indic and other scripts.
/// </summary>
public static class TextSearch
{
    public static string Fold(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var previousBase = '\0';
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark && IsOptionalMark(c, previousBase))
            {
                continue;
            }

            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                previousBase = c;
            }

            builder.Append(c switch
            {
                'ي' or 'ى' => 'ی',
                'ك' => 'ک',
                'ة' => 'ه',
                'أ' or 'إ' or 'آ' => 'ا',
                'ß' => 's',
                _ => c,
            });
        }

        return builder.ToString().Normalize(NormalizationForm.FormC).ToLowerInvariant();
    }

    /// <summary>Terms of a query: folded words, split on white space and punctuation.</summary>
    public static IReadOnlyList<string> Terms(string query) =>
        Fold(query).Split(static c => char.IsWhiteSpace(c) || (char.IsPunctuation(c) && c != '\'') || char.IsSymbol(c)).Where(t => t.Length > 0).Distinct().ToList();

    /// <summary>True when every term occurs in the folded text.</summary>
    public static bool Matches(string foldedText, IReadOnlyList<string> terms) =>
        terms.All(term => foldedText.Contains(term, StringComparison.Ordinal));

    private static bool IsOptionalMark(char mark, char baseChar) =>
        (mark is >= '\u064B' and <= '\u065F') || mark == '\u0670' // Arabic harakat
        || (mark is >= '\u0591' and <= '\u05C7') // Hebrew points
        || baseChar < '\u0530'; // Latin, Greek, Cyrillic, Armenian bases: accents

    private static string[] Split(this string text, Func<char, bool> separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || separator(text[i]))
            {
                if (i > start)
                {
                    parts.Add(text[start..i]);
                }

                start = i + 1;
            }
        }

        return [.. parts];
    }
}
