using System.Globalization;
using System.Text;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Notifications;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Touchpoints;
using Crisis.Functions.Triage;

namespace Crisis.Functions.Review;

public sealed record TimelineEvent(DateTimeOffset At, string Event, string Actor, string? Detail);

public sealed record UpdateNotificationTotals(string UpdateId, DateTimeOffset? PublishedAt, int Sent, int Failed, int Quarantined, int Cancelled, int Pending);

public sealed record NotificationSummary(int Sent, int Failed, int Quarantined, int Cancelled, int Pending, IReadOnlyList<UpdateNotificationTotals> ByUpdate);

public sealed record FaqEntryVotes(string EntryId, string Question, int Helpful, int NotHelpful);

public sealed record FaqSummary(long Views, IReadOnlyDictionary<string, long> ViewsByLanguage, IReadOnlyList<FaqEntryVotes> Entries);

public sealed record UnansweredQuestion(string Id, DateTimeOffset AskedAt, string Language, string Text);

public sealed record TagTotal(string Tag, int Count);

public sealed record ResponseUsage(string Id, string Name, ResponseStatus Status, int Uses);

public sealed record StakeholderReminders(string StakeholderId, string Name, int OnTime, int Late, int Overdue, int Missed, int Open);

public sealed record TouchpointRestore(string TouchpointId, bool Restored, DateTimeOffset? RestoredAt, string? RestoredBy);

/// <summary>What happened in a crisis and how the response went, for the post-crisis review.</summary>
public sealed record ReviewReport(
    string CrisisId,
    string Title,
    CrisisStatus Status,
    Severity Severity,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<TimelineEvent> Timeline,
    SubscriberActivity Subscribers,
    NotificationSummary Notifications,
    FaqSummary Faq,
    IReadOnlyList<UnansweredQuestion> UnansweredQuestions,
    IReadOnlyList<TagTotal> Tags,
    IReadOnlyList<ResponseUsage> CannedResponses,
    IReadOnlyList<StakeholderReminders> Reminders,
    IReadOnlyList<TouchpointRestore> Touchpoints);

/// <summary>Gathers the review from every store, reading only this crisis' partitions and key ranges.</summary>
public sealed class ReviewService(
    CrisisStore crises,
    ContentStore contents,
    SubscriberStore subscribers,
    Outbox outbox,
    FeedbackStore feedback,
    FaqViews views,
    TriageStore triage,
    CannedResponseStore responses,
    StakeholderStore stakeholders,
    TouchpointStore touchpoints,
    TimeProvider time)
{
    private static readonly string[] TimelineActions =
    [
        "crisis.create", "crisis.activate", "crisis.end", "crisis.archive", "content.publish", "source-of-truth.save", "triage-rules.save",
        "canned-response.approve", "canned-response.archive", "touchpoint.restore", "touchpoint.undo-restore",
        ReminderTimer.RemindAction, ReminderTimer.EscalateAction, ExpectedUpdateService.AcknowledgeAction, ExpectedUpdateService.PostAction,
    ];

    /// <summary>Timeline events whose detail is the audit entry's description of the change.</summary>
    private static readonly string[] DetailedActions =
    [
        "touchpoint.restore", "touchpoint.undo-restore", "canned-response.archive",
        ReminderTimer.RemindAction, ReminderTimer.EscalateAction, ExpectedUpdateService.AcknowledgeAction, ExpectedUpdateService.PostAction,
    ];

    public async Task<ReviewReport> BuildAsync(string crisisId, CancellationToken cancellationToken)
    {
        var crisis = (await crises.GetAsync(crisisId, cancellationToken) ?? throw new CrisisNotFoundException($"Crisis {crisisId}")).Crisis;
        var now = time.GetUtcNow();

        // The sections read different tables and blobs: read them at once, so the review costs its slowest read, not their sum.
        var updates = crises.ListUpdatesAsync(crisisId, cancellationToken);
        var timeline = TimelineAsync(crisis, updates, cancellationToken);
        var activity = subscribers.ActivityAsync(crisisId, cancellationToken);
        var notifications = NotificationsAsync(crisisId, updates, cancellationToken);
        var faq = FaqAsync(crisis, cancellationToken);
        var questions = feedback.ListQuestionsAsync(crisisId, QuestionStatus.Open, cancellationToken);
        var tags = triage.CountsAsync(crisisId, cancellationToken);
        var uses = responses.ListAsync(crisisId, cancellationToken);
        var reminders = RemindersAsync(crisis, now, cancellationToken);
        var restores = touchpoints.OverridesOfCrisisAsync(crisisId, cancellationToken);
        await Task.WhenAll(timeline, activity, notifications, faq, questions, tags, uses, reminders, restores);

        return new ReviewReport(
            crisis.Id,
            crisis.Localised(crisis.Title, crisis.DefaultLanguage),
            crisis.Status,
            crisis.Severity,
            now,
            await timeline,
            await activity,
            await notifications,
            await faq,
            [.. (await questions).OrderBy(q => q.AskedAt).Select(q => new UnansweredQuestion(q.Id, q.AskedAt, q.Language, q.Text))],
            [.. (await tags).GroupBy(c => c.Tag).Select(g => new TagTotal(g.Key, g.Sum(c => c.Count))).OrderByDescending(t => t.Count).ThenBy(t => t.Tag, StringComparer.Ordinal)],
            [.. (await uses).Select(r => new ResponseUsage(r.Id, r.Name, r.Status, r.Uses)).OrderByDescending(r => r.Uses)],
            await reminders,
            [.. (await restores).Select(o => new TouchpointRestore(o.TouchpointId, !o.Active, o.RestoredAt, o.RestoredBy)).OrderBy(t => t.TouchpointId, StringComparer.Ordinal)]);
    }

    private async Task<IReadOnlyList<TimelineEvent>> TimelineAsync(CrisisRecord crisis, Task<IReadOnlyList<CrisisUpdate>> updatesRead, CancellationToken cancellationToken)
    {
        var events = new List<TimelineEvent>();
        string? continuation = null;
        do
        {
            var page = await crises.AuditPageAsync(crisis.Id, 1000, continuation, cancellationToken);
            events.AddRange(page.Entries.Where(e => TimelineActions.Contains(e.Action))
                .Select(e => new TimelineEvent(e.At, e.Action, e.Actor, DetailedActions.Contains(e.Action) ? e.After : null)));
            continuation = page.ContinuationToken;
        }
        while (continuation is not null);

        events.AddRange((await updatesRead).Where(u => u.PublishedAt is not null)
            .Select(u => new TimelineEvent(u.PublishedAt!.Value, "update.publish", u.PublishedBy ?? u.CreatedBy, crisis.Localised(u.Text, crisis.DefaultLanguage))));
        return [.. events.OrderBy(e => e.At)];
    }

    /// <summary>Per published update, how its notifications ended (durable counts: erasing a recipient does not lower them) and how many are pending.</summary>
    private async Task<NotificationSummary> NotificationsAsync(string crisisId, Task<IReadOnlyList<CrisisUpdate>> updatesRead, CancellationToken cancellationToken)
    {
        var published = (await updatesRead).Where(u => u.PublishedAt is not null).OrderBy(u => u.PublishedAt).ToList();

        // Publishing adds the job in the same transaction, so an update read as published before its job is read as
        // gone gets nothing more queued: its settled totals can be sealed.
        var queuing = (await crises.PendingFanoutsAsync(cancellationToken)).Where(j => j.CrisisId == crisisId).Select(j => j.UpdateId).ToHashSet(StringComparer.Ordinal);
        var closed = published.Where(u => !queuing.Contains(u.Id)).Select(u => UpdateNotifications.KeyPrefix(crisisId, u.Id)).ToHashSet(StringComparer.Ordinal);
        var byTally = await outbox.CountsAsync([.. published.Select(u => UpdateNotifications.KeyPrefix(crisisId, u.Id))], closed, cancellationToken);
        var totals = published.Select(u =>
        {
            var c = byTally.GetValueOrDefault(UpdateNotifications.KeyPrefix(crisisId, u.Id)) ?? new DeliveryCounts(0, 0, 0, 0, 0);
            return new UpdateNotificationTotals(u.Id, u.PublishedAt, c.Sent, c.Failed, c.Quarantined, c.Cancelled, c.Pending);
        }).ToList();
        return new NotificationSummary(totals.Sum(t => t.Sent), totals.Sum(t => t.Failed), totals.Sum(t => t.Quarantined), totals.Sum(t => t.Cancelled), totals.Sum(t => t.Pending), totals);
    }

    /// <summary>Views (counted once the views this instance holds are stored) and votes of each FAQ entry of the published content.</summary>
    private async Task<FaqSummary> FaqAsync(CrisisRecord crisis, CancellationToken cancellationToken)
    {
        var contentRead = contents.GetPublishedAsync(crisis.Id, cancellationToken);
        await views.FlushAsync(cancellationToken);
        var content = (await contentRead)?.Document.Content ?? CrisisContent.Empty;
        var viewCounts = await feedback.CountFaqViewsAsync(crisis.Id, cancellationToken);
        var votes = (await feedback.CountVotesAsync(crisis.Id, cancellationToken)).ToDictionary(v => v.EntryId, StringComparer.Ordinal);
        var entries = content.Faq.OrderBy(e => e.Order).Select(e => new FaqEntryVotes(e.Id, crisis.Localised(e.Question, crisis.DefaultLanguage),
            votes.GetValueOrDefault(e.Id)?.Helpful ?? 0, votes.GetValueOrDefault(e.Id)?.NotHelpful ?? 0)).ToList();
        return new FaqSummary(viewCounts.Values.Sum(), viewCounts, entries);
    }

    private async Task<IReadOnlyList<StakeholderReminders>> RemindersAsync(CrisisRecord crisis, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var crisisEndedAt = OccurrenceOutcomes.EndOf(crisis);
        var people = (await stakeholders.ListAsync(cancellationToken)).ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        return [.. (await stakeholders.ListExpectedAsync(crisis.Id, cancellationToken))
            .SelectMany(u => OccurrenceOutcomes.Of(u, crisisEndedAt, now).Select(o => (u.OwnerId, o.Outcome)))
            .GroupBy(o => o.OwnerId)
            .Select(g => new StakeholderReminders(g.Key, people.GetValueOrDefault(g.Key, "(removed)"),
                g.Count(o => o.Outcome == "on-time"), g.Count(o => o.Outcome == "late"), g.Count(o => o.Outcome == "overdue"), g.Count(o => o.Outcome == "missed"), g.Count(o => o.Outcome == "open")))
            .OrderBy(s => s.Name, StringComparer.CurrentCulture)];
    }
}

/// <summary>The review as Markdown, for people: the same figures as the JSON.</summary>
public static class ReviewMarkdown
{
    public static string Render(ReviewReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        Line(md, $"# Post-crisis review: {Cell(report.Title)}");
        Line(md);
        Line(md, $"Crisis `{report.CrisisId}`, severity {report.Severity.ToString().ToLowerInvariant()}, now {report.Status.ToString().ToLowerInvariant()}. Generated {Time(report.GeneratedAt)}.");
        Section(md, "Timeline", ["When (UTC)", "What", "Who", "Detail"], report.Timeline.Select(e => new[] { Time(e.At), e.Event, e.Actor, e.Detail ?? "" }));
        var s = report.Subscribers;
        Section(md, "Subscribers while the crisis was live", ["Subscribed", "Confirmed", "Unsubscribed", "Erased"], [[Number(s.Subscribed), Number(s.Confirmed), Number(s.Unsubscribed), Number(s.Erased)]]);
        var n = report.Notifications;
        Section(md, "Notifications", ["Update", "Published (UTC)", "Sent", "Failed", "Quarantined", "Cancelled", "Pending"],
            n.ByUpdate.Select(u => new[] { u.UpdateId, u.PublishedAt is { } at ? Time(at) : "", Number(u.Sent), Number(u.Failed), Number(u.Quarantined), Number(u.Cancelled), Number(u.Pending) })
                .Append(["Total", "", Number(n.Sent), Number(n.Failed), Number(n.Quarantined), Number(n.Cancelled), Number(n.Pending)]));
        Section(md, $"FAQ: {Number(report.Faq.Views)} views ({Counts(report.Faq.ViewsByLanguage)})", ["Entry", "Question", "Helpful", "Not helpful"],
            report.Faq.Entries.Select(e => new[] { e.EntryId, e.Question, Number(e.Helpful), Number(e.NotHelpful) }));
        Section(md, "Unanswered questions", ["Asked (UTC)", "Language", "Question"], report.UnansweredQuestions.Select(q => new[] { Time(q.AskedAt), q.Language, q.Text }));
        Section(md, "Triage tags", ["Tag", "Messages"], report.Tags.Select(t => new[] { t.Tag, Number(t.Count) }));
        Section(md, "Canned responses", ["Response", "Status", "Uses"], report.CannedResponses.Select(r => new[] { r.Name, r.Status.ToString().ToLowerInvariant(), Number(r.Uses) }));
        Section(md, "Reminders per stakeholder", ["Stakeholder", "On time", "Late", "Overdue", "Missed", "Open"],
            report.Reminders.Select(r => new[] { r.Name, Number(r.OnTime), Number(r.Late), Number(r.Overdue), Number(r.Missed), Number(r.Open) }));
        Section(md, "Touchpoints", ["Touchpoint", "Restored", "When (UTC)", "By"],
            report.Touchpoints.Select(t => new[] { t.TouchpointId, t.Restored ? "yes" : "no", t.RestoredAt is { } at ? Time(at) : "", t.RestoredBy ?? "" }));
        return md.ToString();
    }

    private static void Section(StringBuilder md, string title, string[] header, IEnumerable<string[]> rows)
    {
        Line(md);
        Line(md, "## " + title);
        Line(md);
        var list = rows.ToList();
        if (list.Count == 0)
        {
            Line(md, "None.");
            return;
        }

        Line(md, "| " + string.Join(" | ", header) + " |");
        Line(md, "|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in list)
        {
            Line(md, "| " + string.Join(" | ", row.Select(Cell)) + " |");
        }
    }

    /// <summary>Table cell text: one line, pipes and Markdown markup escaped, so customer text cannot break the table.</summary>
    private static string Cell(string text) => string.Concat(text.ReplaceLineEndings(" ").Select(c => c switch
    {
        '|' or '\\' or '*' or '_' or '`' or '[' or ']' or '<' or '>' or '#' => "\\" + c,
        _ => c.ToString(),
    }));

    private static string Counts(IReadOnlyDictionary<string, long> counts) => counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Key} {c.Value.ToString("N0", CultureInfo.InvariantCulture)}"));

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
