using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Crisis.Functions.Common;

/// <summary>Language tags (BCP 47, as known to ICU), their writing direction, and content negotiation with fallback.</summary>
public static class Languages
{
    /// <summary>The longest language tag accepted.</summary>
    public const int MaxTag = 35;

    /// <summary>Whether <paramref name="tag"/> has the shape of a language tag (BCP 47 subtags: 1 to 8 letters or digits, hyphen-separated), known or not.</summary>
    public static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > MaxTag)
        {
            return false;
        }

        var subtag = 0;
        foreach (var c in tag)
        {
            if (c == '-' && subtag > 0)
            {
                subtag = 0;
            }
            else if (!char.IsAsciiLetterOrDigit(c) || ++subtag > 8)
            {
                return false;
            }
        }

        return subtag > 0;
    }

    // Public pages normalise a ?lang= on every read: ICU is asked once per known tag. Only tags ICU knows are kept,
    // compared without case, so the map is bounded by ICU's own list whatever readers send.
    private static readonly ConcurrentDictionary<string, string> KnownTags = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The normalised tag ("en", "pt-BR", "sr-Latn") when it names a known language, else null.</summary>
    public static string? Normalise(string? tag)
    {
        if (!IsWellFormed(tag))
        {
            return null;
        }

        if (KnownTags.TryGetValue(tag, out var known))
        {
            return known;
        }

        try
        {
            var culture = CultureInfo.GetCultureInfo(tag, predefinedOnly: true);
            return culture.Equals(CultureInfo.InvariantCulture) ? null : KnownTags.GetOrAdd(tag, culture.Name);
        }
        catch (CultureNotFoundException)
        {
            return null;
        }
    }

    /// <summary>"rtl" for right-to-left scripts (Arabic, Persian, Hebrew, Urdu…), else "ltr".</summary>
    public static string Direction(string language) =>
        CultureInfo.GetCultureInfo(language).TextInfo.IsRightToLeft ? "rtl" : "ltr";

    /// <summary>
    /// Picks the language to answer in: an explicit <paramref name="requested"/> tag when offered (or its base
    /// language), else the best offered match of Accept-Language by quality, else the default.
    /// </summary>
    public static string Negotiate(string? requested, string? acceptLanguage, IReadOnlyList<string> offered, string defaultLanguage)
    {
        ArgumentNullException.ThrowIfNull(offered);
        if (requested is not null && Match(requested, offered) is { } chosen)
        {
            return chosen;
        }

        if (!string.IsNullOrWhiteSpace(acceptLanguage) && StringWithQualityHeaderValue.TryParseList([acceptLanguage], out var ranges))
        {
            foreach (var range in ranges.Where(r => r.Quality is null or > 0).OrderByDescending(r => r.Quality ?? 1))
            {
                if (range.Value.Value is { } tag && tag != "*" && Match(tag, offered) is { } match)
                {
                    return match;
                }
            }
        }

        return defaultLanguage;
    }

    private static string? Match(string tag, IReadOnlyList<string> offered)
    {
        var exact = offered.FirstOrDefault(o => string.Equals(o, tag, StringComparison.OrdinalIgnoreCase));
        if (exact is not null)
        {
            return exact;
        }

        var primary = tag.Split('-')[0];
        return offered.FirstOrDefault(o => string.Equals(o, primary, StringComparison.OrdinalIgnoreCase))
            ?? offered.FirstOrDefault(o => string.Equals(o.Split('-')[0], primary, StringComparison.OrdinalIgnoreCase));
    }
}
