using System.Globalization;
using Crisis.Functions.Common;

namespace Crisis.Functions.Notifications;

public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>How a text travels as SMS: its encoding, its length in that encoding's units, and how many segments it takes.</summary>
public sealed record SmsLength(SmsEncoding Encoding, int Units, int Segments);

/// <summary>
/// Measures SMS as networks bill and split them (3GPP TS 23.038 / 23.040): a text of only GSM-7 default alphabet
/// characters is GSM-7, where characters of the extension table (^ { } \ [ ~ ] | € and form feed) take two units,
/// 160 units in one segment, 153 a segment when concatenated; any other character makes the whole text UCS-2,
/// counted in UTF-16 code units, 70 in one segment, 67 a segment when concatenated.
/// </summary>
public static class SmsSegments
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "\f^{}\\[~]|€";

    public static SmsLength Measure(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var gsm = 0;
        foreach (var c in text)
        {
            if (Basic.Contains(c, StringComparison.Ordinal))
            {
                gsm++;
            }
            else if (Extension.Contains(c, StringComparison.Ordinal))
            {
                gsm += 2;
            }
            else
            {
                return new SmsLength(SmsEncoding.Ucs2, text.Length, Segments(text.Length, 70, 67));
            }
        }

        return new SmsLength(SmsEncoding.Gsm7, gsm, Segments(gsm, 160, 153));
    }

    /// <summary>
    /// The text <paramref name="render"/> makes of <paramref name="content"/>, with the content shortened (at a
    /// grapheme-cluster boundary, marked with an ellipsis, every direction isolate it cut into closed) until the text
    /// takes at most <paramref name="maxSegments"/> segments. Only the content shrinks: what <paramref name="render"/>
    /// adds (links, the stop instruction) stays whole.
    /// </summary>
    public static string Fit(string content, Func<string, string> render, int maxSegments)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(render);
        var whole = render(content);
        if (Measure(whole).Segments <= maxSegments)
        {
            return whole;
        }

        // The ellipsis is not in the GSM-7 alphabet: a GSM-7 text is marked with three dots, so it stays GSM-7.
        var ellipsis = Measure(whole).Encoding == SmsEncoding.Gsm7 ? "..." : "…";
        var boundaries = StringInfo.ParseCombiningCharacters(content);
        int low = 0, high = boundaries.Length - 1;
        var best = render("");
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var candidate = render(UnicodeText.Cut(content, boundaries[middle], ellipsis));
            if (Measure(candidate).Segments <= maxSegments)
            {
                best = candidate;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return best;
    }

    private static int Segments(int units, int single, int concatenated) =>
        units <= single ? 1 : (units + concatenated - 1) / concatenated;
}
