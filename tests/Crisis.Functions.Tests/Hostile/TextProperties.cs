using System.Globalization;
using System.Text;
using Crisis.Functions.Common;
using Crisis.Functions.Notifications;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Crisis.Functions.Tests.Hostile;

/// <summary>A generated text, shown by code point so a counterexample with lone surrogates or controls can be read.</summary>
public sealed record GeneratedText(string Value)
{
    public override string ToString() => string.Join(' ', Value.Select(c => ((int)c).ToString("X4", CultureInfo.InvariantCulture)));
}

public sealed record TextAndLimit(GeneratedText Text, int Limit);

/// <summary>
/// Texts built from pieces that stress the Unicode rules: letters of several scripts, combining marks, conjuncts,
/// emoji with skin tones and ZWJ sequences, flags, direction marks and isolates; "any" texts also get noncharacters,
/// lone and reversed surrogates, overrides and unbalanced isolates.
/// </summary>
public static class TextArbitraries
{
    private static readonly string[] Good =
    [
        "a", "Z", "7", " ", "\n", "\t", "é", "e\u0301", "e\u0301\u0323", "ક્ષ", "ન્ય", "ب", "کی", "\u064E", "ا", "ש\u05B8", "Ω", "ß", "中",
        "😀", "👍🏽", "👩‍👩‍👧‍👦", "🏳️‍🌈", "🇬🇧", "\u200D", "\u200C", "\u200E", "\u200F", "\u061C", "\u2066x\u2069", "\u2067ب\u2069", "\u2068\u2069",
        char.ConvertFromUtf32(0x10000), char.ConvertFromUtf32(0x10FFFD), "\uFFFD", "\uFDCF", "\uFDF0", "…", "\r\n",
    ];

    private static readonly string[] Bad =
    [
        "\uFFFE", "\uFFFF", "\uFDD0", "\uFDEF", char.ConvertFromUtf32(0x1FFFE), char.ConvertFromUtf32(0x10FFFF), "\uD800", "\uDBFF", "\uDC00", "\uDFFF",
        "\uDE00\uD83D", "\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069",
    ];

    private static Gen<GeneratedText> From(Gen<string> piece) => Gen.ListOf(piece).Select(pieces => new GeneratedText(string.Concat(pieces)));

    public static Gen<GeneratedText> WellFormed => From(Gen.Elements(Good));

    public static Arbitrary<GeneratedText> Any() => Arb.From(From(Gen.Frequency((6, Gen.Elements(Good)), (1, Gen.Elements(Bad)))));

    public static Arbitrary<TextAndLimit> Limited() =>
        Arb.From(Gen.Sized(size => Gen.Resize(WellFormed, size * 3)).SelectMany(text => Gen.Choose(1, 120).Select(limit => new TextAndLimit(text, limit))));
}

public class TextProperties
{
    /// <summary>The rules, checked another way: strict UTF-16 decoding, then each code point and the isolate depth.</summary>
    private static bool KeepsTheRules(string text)
    {
        try
        {
            _ = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true).GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            return false;
        }

        var depth = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (v is >= 0xFDD0 and <= 0xFDEF || (v & 0xFFFF) is 0xFFFE or 0xFFFF || v is >= 0x202A and <= 0x202E)
            {
                return false;
            }

            depth += v is >= 0x2066 and <= 0x2068 ? 1 : v == 0x2069 ? -1 : 0;
            if (depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }

    private static bool IsGraphemeBoundary(string text, int index) =>
        index == 0 || index == text.Length || StringInfo.ParseCombiningCharacters(text).Contains(index);

    private static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    [Property(Arbitrary = [typeof(TextArbitraries)], MaxTest = 2000)]
    public bool Validation_accepts_exactly_the_texts_that_keep_the_Unicode_rules(GeneratedText text) =>
        (UnicodeText.Problem(text.Value) is null) == KeepsTheRules(text.Value);

    [Property(Arbitrary = [typeof(TextArbitraries)], MaxTest = 2000)]
    public bool Shorten_stays_within_the_limit_and_cuts_a_prefix_at_a_grapheme_boundary(TextAndLimit input)
    {
        var (text, limit) = (input.Text.Value, input.Limit);
        var shortened = UnicodeText.Shorten(text, limit);
        if (text.Length <= limit)
        {
            return shortened == text;
        }

        var kept = shortened[..^1];
        return shortened.Length <= limit && shortened.EndsWith('…') && text.StartsWith(kept, StringComparison.Ordinal)
            && IsGraphemeBoundary(text, kept.Length) && IsWellFormedUtf16(shortened);
    }

    [Property(Arbitrary = [typeof(TextArbitraries)], MaxTest = 500)]
    public bool A_feed_headline_of_any_length_is_at_most_100_characters_of_whole_graphemes(TextAndLimit input)
    {
        var longText = string.Concat(Enumerable.Repeat(input.Text.Value + "👩‍👩‍👧‍👦e\u0301", 12));
        var headline = UnicodeText.Shorten(longText, 100);
        var kept = headline.Length < longText.Length ? headline[..^1] : headline;
        return headline.Length <= 100 && IsGraphemeBoundary(longText, kept.Length) && IsWellFormedUtf16(headline) && UnicodeText.ForXml(headline) == headline;
    }

    [Property(Arbitrary = [typeof(TextArbitraries)], MaxTest = 1000)]
    public bool An_SMS_is_fitted_to_its_segments_by_cutting_whole_graphemes_off_the_content_only(TextAndLimit input)
    {
        const string Footer = "\nStop: https://example.org/u?t=abc";
        var content = string.Concat(Enumerable.Repeat(input.Text.Value, 1 + (input.Limit % 8)));
        var segments = 1 + (input.Limit % 3);
        var sms = SmsSegments.Fit(content, c => c + Footer, segments);
        if (!sms.EndsWith(Footer, StringComparison.Ordinal) || SmsSegments.Measure(sms).Segments > segments || !IsWellFormedUtf16(sms))
        {
            return false;
        }

        var body = sms[..^Footer.Length];
        if (body == content)
        {
            return true;
        }

        var kept = body.EndsWith("...", StringComparison.Ordinal) ? body[..^3] : body.EndsWith('…') ? body[..^1] : null;
        return kept is not null && content.StartsWith(kept, StringComparison.Ordinal) && IsGraphemeBoundary(content, kept.Length);
    }
}
