using System.Collections;
using System.Globalization;
using System.Resources;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Messages;

public class CatalogueTests
{
    /// <summary>Texts that are rightly the same as English in some languages: the digits and calendar a language formats with.</summary>
    private static readonly HashSet<string> SameAsEnglishAllowed = [MessageKeys.FormatDigits, MessageKeys.FormatCalendar];

    public static TheoryData<string> AllLanguages() => [.. MessageCatalogue.Languages];

    public static TheoryData<string> OtherLanguages() => [.. MessageCatalogue.Languages.Where(l => l != MessageCatalogue.Neutral)];

    [Fact]
    public void The_catalogue_is_found_in_english_welsh_gujarati_indonesian_swahili_and_persian()
    {
        Assert.Subset(MessageCatalogue.Languages.ToHashSet(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal) { "cy", "en", "fa", "gu", "id", "sw" });
    }

    [Fact]
    public void The_languages_are_exactly_english_and_one_per_catalogue_file_so_a_language_is_added_by_adding_its_file()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.AppProject, "Messages"), "Catalogue.*.resx")
            .Select(f => Path.GetFileNameWithoutExtension(f)["Catalogue.".Length..]);

        Assert.Equal(files.Append(MessageCatalogue.Neutral).Order(StringComparer.Ordinal), MessageCatalogue.Languages.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_key_the_code_names_is_in_the_english_catalogue()
    {
        var english = Texts(MessageCatalogue.Neutral);
        var named = typeof(MessageKeys).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.All(named, key => Assert.True(english.ContainsKey(key), $"{key} is not in Catalogue.resx"));
        Assert.Equal(named.Order(StringComparer.Ordinal), english.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void A_language_has_every_key_of_english_and_no_other(string language)
    {
        var english = Texts(MessageCatalogue.Neutral);
        var texts = Texts(language);
        Assert.Empty(english.Keys.Except(texts.Keys));
        Assert.Empty(texts.Keys.Except(english.Keys));
    }

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void A_language_uses_the_same_placeholders_as_english_in_every_text(string language)
    {
        var english = Texts(MessageCatalogue.Neutral);
        foreach (var (key, text) in Texts(language))
        {
            Assert.True(
                MessageCatalogue.Placeholders(english[key]).Order(StringComparer.Ordinal).SequenceEqual(MessageCatalogue.Placeholders(text).Order(StringComparer.Ordinal)),
                $"{language} {key}: placeholders differ from English: {text}");
        }
    }

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void No_text_is_left_in_english(string language)
    {
        var english = Texts(MessageCatalogue.Neutral);
        var untranslated = Texts(language).Where(t => !SameAsEnglishAllowed.Contains(t.Key) && t.Value == english[t.Key]).Select(t => t.Key).ToList();
        Assert.Empty(untranslated);
    }

    [Theory]
    [MemberData(nameof(AllLanguages))]
    public void A_language_names_a_calendar_the_app_formats_and_ten_distinct_digits(string language)
    {
        Assert.Contains(MessageCatalogue.Template(MessageKeys.FormatCalendar, language), new[] { "gregorian", LocalTimes.PersianCalendarName });
        var digits = MessageCatalogue.Template(MessageKeys.FormatDigits, language);
        Assert.Equal(10, digits.Length);
        Assert.Equal(10, digits.Distinct().Count());
        Assert.All(digits, d => Assert.Equal(System.Globalization.UnicodeCategory.DecimalDigitNumber, char.GetUnicodeCategory(d)));
        Assert.All(digits, d => Assert.Equal(digits.IndexOf(d, StringComparison.Ordinal), (int)char.GetNumericValue(d)));
    }

    [Fact]
    public void Persian_times_are_solar_hijri_in_persian_digits_with_the_gregorian_date_beside_and_the_zone_offset()
    {
        var text = LocalTimes.Format(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), "Asia/Tehran", "fa");

        Assert.StartsWith("\u2068سه‌شنبه ۱۰ آذر ۱۴۰۵ (۱ دسامبر ۲۰۲۶)\u2069", text, StringComparison.Ordinal);
        Assert.Contains("۱۲:۳۰", text, StringComparison.Ordinal);
        Assert.Contains("Asia/Tehran, UTC+03:30", text, StringComparison.Ordinal);
        Assert.DoesNotContain("1405", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en", "UTC", "December", "UTC+00:00")]
    [InlineData("cy", "Europe/London", "Rhagfyr", "Europe/London, UTC+00:00")]
    [InlineData("id", "Asia/Jakarta", "Desember", "Asia/Jakarta, UTC+07:00")]
    [InlineData("sw", "Africa/Nairobi", "Desemba", "Africa/Nairobi, UTC+03:00")]
    [InlineData("gu", "Asia/Kolkata", "ડિસેમ્બર", "Asia/Kolkata, UTC+05:30")]
    public void Times_read_in_the_language_and_name_their_zone_and_offset(string language, string zone, string month, string shown)
    {
        var text = LocalTimes.Format(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), zone, language);

        Assert.Contains(month, text, StringComparison.Ordinal);
        Assert.Contains("2026", text, StringComparison.Ordinal);
        Assert.Contains(shown, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Right_to_left_texts_isolate_each_value_so_links_and_numbers_keep_their_order()
    {
        var text = MessageCatalogue.Text(MessageKeys.SmsStop, "fa", ("link", "https://example.org/u?token=1"));

        Assert.Contains("\u2068https://example.org/u?token=1\u2069", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u2068', MessageCatalogue.Text(MessageKeys.SmsStop, "en", ("link", "https://example.org/u")));
    }

    [Theory]
    [InlineData("fa-IR", "fa")]
    [InlineData("cy-GB", "cy")]
    [InlineData("de", "en")]
    [InlineData(null, "en")]
    public void A_language_without_a_catalogue_falls_back_to_its_base_language_then_english(string? preferred, string expected)
    {
        Assert.Equal(expected, MessageCatalogue.Resolve(preferred));
    }

    private static Dictionary<string, string> Texts(string language)
    {
        var set = MessageCatalogue.Resources.GetResourceSet(CultureInfo.GetCultureInfo(language), createIfNotExists: true, tryParents: false);
        Assert.NotNull(set);
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!, StringComparer.Ordinal);
    }
}
