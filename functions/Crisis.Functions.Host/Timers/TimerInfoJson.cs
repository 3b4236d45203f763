using System.Text.Json;

namespace Crisis.Functions.Host.Timers;

/// <summary>The TimerInfo payload in the shape the worker's TimerInfoConverter deserializes.</summary>
internal static class TimerInfoJson
{
    public static string Create(DateTimeOffset last, DateTimeOffset next, DateTimeOffset lastUpdated, bool isPastDue) =>
        JsonSerializer.Serialize(new TimerInfoPayload(
            new SchedulePayload(AdjustForDST: true),
            new ScheduleStatusPayload(last.UtcDateTime, next.UtcDateTime, lastUpdated.UtcDateTime),
            isPastDue));

    private sealed record TimerInfoPayload(SchedulePayload Schedule, ScheduleStatusPayload ScheduleStatus, bool IsPastDue);

    private sealed record SchedulePayload(bool AdjustForDST);

    private sealed record ScheduleStatusPayload(DateTime Last, DateTime Next, DateTime LastUpdated);
}
