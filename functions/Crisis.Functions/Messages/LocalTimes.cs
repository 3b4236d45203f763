using System.Collections.Concurrent;
using System.Globalization;

namespace Crisis.Functions.Messages;

/// <summary>
/// Times as people read them: in their language's date and time conventions, digits and calendar, in a time zone
/// they know, with its UTC offset. Persian dates are Solar Hijri (the calendar read in Iran and Afghanistan) in
/// Persian digits, with the Gregorian date beside them, since the organisation and other channels use Gregorian.
/// </summary>
public static class LocalTimes
{
    /// <summary>The longest time zone id accepted.</summary>
    public const int MaxTimeZoneId = 64;

    public const string Utc = "UTC";
    public const string PersianCalendarName = "persian";

    /// <summary>Weekday, day, month, year: "سه‌شنبه ۱۰ آذر ۱۴۰۵" (ICU's long pattern for Persian puts the year first).</summary>
    private const string SolarHijriPattern = "dddd d MMMM yyyy";

    /// <summary>The formats of the catalogue's languages (a fixed set), made once each.</summary>
    private static readonly ConcurrentDictionary<string, (DateTimeFormatInfo Gregorian, DateTimeFormatInfo? Solar)> Formats = new(StringComparer.Ordinal);

    /// <summary>"Tuesday, December 1, 2026 at 2:30 PM (Europe/London, UTC+00:00)", in <paramref name="language"/>.</summary>
    public static string Format(DateTimeOffset time, string timeZone, string language)
    {
        var zone = TryFindTimeZone(timeZone, out var found) ? found : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var (gregorian, solar) = MessageCatalogue.Languages.Contains(language, StringComparer.Ordinal) ? Formats.GetOrAdd(language, FormatsOf) : FormatsOf(language);
        var date = solar is null
            ? local.ToString(gregorian.LongDatePattern, gregorian)
            : $"{local.ToString(SolarHijriPattern, solar)} ({local.ToString("d MMMM yyyy", gregorian)})";

        var offset = zone.GetUtcOffset(time);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var offsetText = string.Create(CultureInfo.InvariantCulture, $"UTC{sign}{offset.Duration():hh\\:mm}");
        var zoneText = zone == TimeZoneInfo.Utc || timeZone == Utc ? offsetText : $"{timeZone}, {offsetText}";
        return MessageCatalogue.Text(MessageKeys.TimeAt, language,
            ("date", MessageCatalogue.Digits(date, language)),
            ("time", MessageCatalogue.Digits(local.ToString(gregorian.ShortTimePattern, gregorian), language)),
            ("zone", zoneText));
    }

    /// <summary>A language's date formats: Gregorian, and Solar Hijri where the catalogue names that calendar; read-only, so shared by every message.</summary>
    private static (DateTimeFormatInfo Gregorian, DateTimeFormatInfo? Solar) FormatsOf(string language)
    {
        var culture = CultureInfo.GetCultureInfo(language);
        var gregorian = (DateTimeFormatInfo)culture.DateTimeFormat.Clone();
        gregorian.Calendar = new GregorianCalendar();
        if (MessageCatalogue.Template(MessageKeys.FormatCalendar, language) != PersianCalendarName)
        {
            return (DateTimeFormatInfo.ReadOnly(gregorian), null);
        }

        var solar = (DateTimeFormatInfo)culture.DateTimeFormat.Clone();
        solar.Calendar = new PersianCalendar();
        return (DateTimeFormatInfo.ReadOnly(gregorian), DateTimeFormatInfo.ReadOnly(solar));
    }

    /// <summary>An IANA time zone id ("Europe/London", "UTC") known to the system.</summary>
    public static bool TryFindTimeZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxTimeZoneId)
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }
}
