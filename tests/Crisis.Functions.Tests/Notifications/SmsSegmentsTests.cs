using Crisis.Functions.Notifications;

namespace Crisis.Functions.Tests.Notifications;

public class SmsSegmentsTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(459, 3)]
    [InlineData(460, 4)]
    public void Gsm7_texts_take_160_units_in_one_segment_and_153_a_segment_when_concatenated(int length, int segments)
    {
        var measured = SmsSegments.Measure(new string('a', length));

        Assert.Equal(new SmsLength(SmsEncoding.Gsm7, length, segments), measured);
    }

    [Fact]
    public void Extension_table_characters_take_two_units_and_keep_the_text_gsm7()
    {
        var measured = SmsSegments.Measure("{€}[~]|^\\" + new string('a', 142));

        Assert.Equal(new SmsLength(SmsEncoding.Gsm7, 160, 1), measured);
        Assert.Equal(2, SmsSegments.Measure("€" + new string('a', 159)).Segments);
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    [InlineData(201, 3)]
    [InlineData(202, 4)]
    public void A_character_outside_gsm7_makes_the_text_ucs2_with_70_units_in_one_segment_and_67_when_concatenated(int length, int segments)
    {
        var measured = SmsSegments.Measure("س" + new string('a', length - 1));

        Assert.Equal(new SmsLength(SmsEncoding.Ucs2, length, segments), measured);
    }

    [Fact]
    public void Characters_beyond_the_basic_plane_count_two_ucs2_units()
    {
        Assert.Equal(new SmsLength(SmsEncoding.Ucs2, 2, 1), SmsSegments.Measure("😀"));
    }

    [Fact]
    public void Fitting_shortens_only_the_content_and_keeps_the_link_and_stop_instruction_whole()
    {
        const string tail = " https://example.org/p Stop: https://example.org/u?token=abc";
        var content = string.Concat(Enumerable.Repeat("Depots reopen on Monday. ", 40));

        var fitted = SmsSegments.Fit(content, c => c + tail, 2);

        Assert.True(SmsSegments.Measure(fitted).Segments <= 2);
        Assert.EndsWith(tail, fitted, StringComparison.Ordinal);
        Assert.StartsWith("Depots reopen on Monday.", fitted, StringComparison.Ordinal);
        Assert.Contains("...", fitted, StringComparison.Ordinal);
        Assert.Equal(SmsEncoding.Gsm7, SmsSegments.Measure(fitted).Encoding);
    }

    [Fact]
    public void Fitting_content_cut_inside_a_direction_isolate_closes_the_isolate_before_the_links()
    {
        const string tail = " https://example.org/p برای لغو: \u2068https://example.org/u?token=abc\u2069";
        var content = "سفارش‌ها: \u2067" + string.Concat(Enumerable.Repeat("انبارها دوشنبه صبح دوباره باز می‌شوند. ", 20)) + "\u2069 پایان";

        var fitted = SmsSegments.Fit(content, c => c + tail, 3);

        Assert.True(SmsSegments.Measure(fitted).Segments <= 3);
        Assert.EndsWith("…\u2069" + tail, fitted, StringComparison.Ordinal);
        Assert.Null(Crisis.Functions.Common.UnicodeText.Problem(fitted));
    }

    [Fact]
    public void A_text_that_fits_is_left_whole()
    {
        Assert.Equal("Short. Stop: x", SmsSegments.Fit("Short.", c => c + " Stop: x", 1));
    }
}
