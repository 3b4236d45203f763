using Crisis.Functions.Common;

namespace Crisis.Functions.Tests.Common;

public class UnicodeTextTests
{
    [Theory]
    [InlineData("Depots reopen on Monday.")]
    [InlineData("انبارها\u200cی شمال دوشنبه باز می\u200cشوند.\u200f")]
    [InlineData("Order \u2066#A-1042\u2069 ships today")]
    [InlineData("નેટવર્ક બંધ 👩‍👩‍👧")]
    public void Texts_people_write_in_any_script_keep_the_rules(string text) => Assert.Null(UnicodeText.Problem(text));

    [Theory]
    [InlineData("bad \uFFFF end", "noncharacter U+FFFF")]
    [InlineData("bad \uFDD0 end", "noncharacter U+FDD0")]
    [InlineData("bad \uD83F\uDFFE end", "noncharacter U+1FFFE")]
    [InlineData("evil \u202Etxt.exe", "U+202E")]
    [InlineData("open \u2067 never closed", "close every direction isolate")]
    [InlineData("closed \u2069 never opened", "not opened")]
    public void Texts_that_cannot_be_rendered_safely_are_refused_naming_the_code_point(string text, string expected) =>
        Assert.Contains(expected, UnicodeText.Problem(text), StringComparison.Ordinal);

    [Fact]
    public void Unpaired_surrogates_are_refused_wherever_they_are()
    {
        // Built here, not in [InlineData]: test discovery would turn a lone surrogate into U+FFFD.
        foreach (var text in new[] { "half " + (char)0xD83D + " emoji", (char)0xDC4D + " alone", "end " + (char)0xD83D })
        {
            Assert.Contains("unpaired surrogate", UnicodeText.Problem(text), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("👍🏽👍🏽👍🏽", 6, "👍🏽…")]
    [InlineData("ક્ષક્ષક્ષ", 5, "ક્ષ…")]
    [InlineData("short", 10, "short")]
    [InlineData("words and more words", 10, "words and…")]
    public void Shortening_never_cuts_a_grapheme_cluster(string text, int max, string expected)
    {
        var shortened = UnicodeText.Shorten(text, max);

        Assert.Equal(expected, shortened);
        Assert.True(shortened.Length <= max);
        Assert.Null(UnicodeText.Problem(shortened));
    }

    [Theory]
    [InlineData("Order \u2067شماره سفارش شما\u2069 ships today", 14, "Order \u2067شماره…\u2069")]
    [InlineData("\u2068a \u2067bb cc\u2069 dd\u2069", 8, "\u2068a \u2067b…\u2069\u2069")]
    [InlineData("Stop \u2066+44 7700 900123\u2069 now", 8, "Stop…")]
    [InlineData("ab \u2066cd\u2069 efgh", 9, "ab \u2066cd\u2069…")]
    public void Shortening_inside_a_direction_isolate_closes_it_within_the_length(string text, int max, string expected)
    {
        var shortened = UnicodeText.Shorten(text, max);

        Assert.Equal(expected, shortened);
        Assert.True(shortened.Length <= max, $"{shortened.Length} > {max}");
        Assert.Null(UnicodeText.Problem(shortened));
    }

    [Fact]
    public void Shortening_text_that_is_all_one_isolate_keeps_its_start_and_closes_it_at_every_length()
    {
        var text = "\u2067" + string.Concat(Enumerable.Repeat("انبارها دوشنبه باز می‌شوند. ", 6)) + "\u2069";

        for (var max = 2; max < text.Length; max++)
        {
            var shortened = UnicodeText.Shorten(text, max);
            Assert.True(shortened.Length <= max, $"{max}: {shortened}");
            Assert.Null(UnicodeText.Problem(shortened));
        }

        Assert.StartsWith("\u2067انبارها", UnicodeText.Shorten(text, 20), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_for_xml_replaces_only_what_xml_cannot_carry()
    {
        Assert.Equal("a\uFFFDb\uFFFDc\uFFFD👍", UnicodeText.ForXml("a\uFFFFb\u0001c\uD800👍"));
        Assert.Equal("plain\ttext\n", UnicodeText.ForXml("plain\ttext\n"));
    }
}
