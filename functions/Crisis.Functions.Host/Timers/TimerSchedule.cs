using NCrontab;

namespace Crisis.Functions.Host.Timers;

/// <summary>A six-field NCRONTAB schedule (second minute hour day month day-of-week), evaluated in UTC.</summary>
internal sealed class TimerSchedule
{
    private static readonly CrontabSchedule.ParseOptions WithSeconds = new() { IncludingSeconds = true };

    // Furthest back to look for the occurrence before the first run: a yearly schedule still has one.
    private static readonly TimeSpan LongestGap = TimeSpan.FromDays(5 * 366);

    private readonly CrontabSchedule schedule;

    private TimerSchedule(CrontabSchedule schedule) => this.schedule = schedule;

    public static TimerSchedule Parse(string functionName, string expression) =>
        CrontabSchedule.TryParse(expression, WithSeconds) is { } parsed
            ? new TimerSchedule(parsed)
            : throw new LocalHostException(
                $"Timer function '{functionName}' has schedule '{expression}', which is not a six-field NCRONTAB expression (second minute hour day month day-of-week).");

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc));

    /// <summary>The last occurrence strictly before <paramref name="before"/>, if there is one within five years.</summary>
    public DateTimeOffset? PreviousBefore(DateTimeOffset before)
    {
        var end = before.UtcDateTime;
        for (var window = TimeSpan.FromMinutes(1); window <= LongestGap; window *= 2)
        {
            var occurrences = schedule.GetNextOccurrences(end - window, end);
            if (occurrences.Any())
            {
                return new DateTimeOffset(DateTime.SpecifyKind(occurrences.Last(), DateTimeKind.Utc));
            }
        }

        return null;
    }
}
