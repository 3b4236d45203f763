using System.Globalization;
using System.Text;

namespace Crisis.Functions.Common;

/// <summary>
/// The Unicode rules every stored text keeps, so that whatever is accepted can always be rendered (JSON, XML,
/// HTML, email, SMS): whole code points only (no unpaired surrogates), no noncharacters (U+FDD0–U+FDEF, U+xFFFE,
/// U+xFFFF), and direction controls that cannot spill over what follows: no embeddings or overrides
/// (U+202A–U+202E, superseded by isolates), and isolates (U+2066–U+2069) balanced. Marks (U+200E, U+200F,
/// U+061C) and joiners are text and stay. Written here because the framework has no such check; each rule is
/// one line of the Unicode Standard (chapter 23, UAX #9).
/// </summary>
public static class UnicodeText
{
    private const char PopDirectionalIsolate = '\u2069';

    /// <summary>Why <paramref name="text"/> breaks a rule, naming the first offending code point, or null when it keeps them all.</summary>
    public static string? Problem(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var openIsolates = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var length) != System.Buffers.OperationStatus.Done)
            {
                return $"must not contain an unpaired surrogate (U+{(int)text[i]:X4} at position {i}).";
            }

            i += length - 1;
            var value = rune.Value;
            if (value is >= 0xFDD0 and <= 0xFDEF || (value & 0xFFFE) == 0xFFFE)
            {
                return $"must not contain the noncharacter U+{value:X4}.";
            }

            if (value is >= 0x202A and <= 0x202E)
            {
                return $"must not contain the direction embedding or override U+{value:X4}; use an isolate (U+2066–U+2069) or a mark (U+200E, U+200F).";
            }

            if (value is >= 0x2066 and <= 0x2068)
            {
                openIsolates++;
            }
            else if (value == 0x2069 && --openIsolates < 0)
            {
                return "must not close a direction isolate (U+2069) that was not opened.";
            }
        }

        return openIsolates > 0 ? "must close every direction isolate it opens (U+2066, U+2067 or U+2068 with U+2069)." : null;
    }

    /// <summary>
    /// <paramref name="text"/> cut to at most <paramref name="maxLength"/> UTF-16 units, ellipsis included,
    /// at a grapheme-cluster boundary: an emoji, a letter with its marks or a Gujarati conjunct is kept whole or dropped whole.
    /// Every direction isolate the kept part opens is closed after the ellipsis (see <see cref="Cut"/>), within the length.
    /// </summary>
    public static string Shorten(string text, int maxLength, string ellipsis = "…")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ellipsis);
        if (text.Length <= maxLength)
        {
            return text;
        }

        // Each isolate still open at the cut costs one closing character, so the kept part grows by at least one
        // unit per text element: the first element that does not fit ends the search.
        var end = 0;
        var open = 0;
        while (end < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text, end);
            var openAfter = Math.Max(0, open + IsolateBalance(text.AsSpan(end, next)));
            if (end + next + openAfter > maxLength - ellipsis.Length)
            {
                break;
            }

            end += next;
            open = openAfter;
        }

        return Cut(text, end, ellipsis);
    }

    /// <summary>
    /// The first <paramref name="length"/> UTF-16 units of <paramref name="text"/> (a grapheme-cluster boundary),
    /// without trailing white space or isolates opened on nothing, then <paramref name="ellipsis"/>, then a pop
    /// directional isolate (U+2069) for every isolate the kept part opened and did not close: a cut inside an
    /// isolated run never lets its direction spill over the ellipsis and whatever follows.
    /// </summary>
    public static string Cut(string text, int length, string ellipsis)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ellipsis);
        var kept = text[..length].TrimEnd();
        while (kept.Length > 0 && IsIsolateOpening(kept[^1]))
        {
            kept = kept[..^1].TrimEnd();
        }

        var open = 0;
        foreach (var c in kept)
        {
            open = Math.Max(0, open + IsolateBalance([c]));
        }

        return kept + ellipsis + new string(PopDirectionalIsolate, open);
    }

    private static bool IsIsolateOpening(char c) => c is >= '\u2066' and <= '\u2068';

    /// <summary>Isolates opened minus isolates closed in <paramref name="span"/>.</summary>
    private static int IsolateBalance(ReadOnlySpan<char> span)
    {
        var balance = 0;
        foreach (var c in span)
        {
            balance += IsIsolateOpening(c) ? 1 : c == PopDirectionalIsolate ? -1 : 0;
        }

        return balance;
    }

    /// <summary>
    /// <paramref name="text"/> with every character XML 1.0 cannot carry replaced by U+FFFD, for texts stored
    /// before the rules above held: a feed is always written, never refused by the writer half-way.
    /// </summary>
    public static string ForXml(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Enumerating runes already turns an unpaired surrogate into U+FFFD.
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            builder.Append(IsXmlChar(rune.Value) ? rune.ToString() : "\uFFFD");
        }

        return builder.ToString();
    }

    private static bool IsXmlChar(int value) =>
        value is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);
}
