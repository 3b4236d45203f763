using System.Globalization;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Stakeholders;

/// <summary>
/// The reminder timer. Each run reads only what is due from the due index, and for each entry: drops it if
/// the occurrence is answered, superseded or cancelled; otherwise indexes the escalation (for a reminder),
/// queues one message per recipient in the outbox under a key naming the occurrence, records the reminder,
/// and removes the entry. Then it sends what the outbox holds. Every step is idempotent, so a replayed,
/// concurrent or crashed run neither skips nor repeats a message.
/// </summary>
public sealed class ReminderTimer(
    StakeholderStore store,
    ExpectedUpdateService updates,
    CrisisStore crises,
    Outbox outbox,
    TimeProvider time,
    ILogger<ReminderTimer> logger, TimerRuns runs) : ITimerFunction
{
    public const string FunctionName = "Reminders";
    public const string Actor = "reminder-timer";
    public const string RemindAction = "expected-update.remind";
    public const string EscalateAction = "expected-update.escalate";
    public const string ActionPurpose = "stakeholder-action";
    public const int MaxDuePerRun = 2000;
    public const int MaxSendsPerRun = 2000;
    public static readonly TimeSpan ActionLinkLifetime = TimeSpan.FromDays(7);

    public string Name => FunctionName;

    [Function(FunctionName)]
    public Task Run([TimerTrigger("%REMINDER_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        runs.RunAsync(this, timer, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var due = await store.DueAsync(time.GetUtcNow(), MaxDuePerRun, cancellationToken);
        var queued = 0;
        var setAside = 0;
        foreach (var entry in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                queued += await HandleAsync(entry, cancellationToken);
            }
            catch (Exception e) when (e is not (StorageUnavailableException or OperationCanceledException))
            {
                // One entry that cannot be handled must not stop every reminder after it, run after run.
                logger.LogError(e, "Set aside {Kind} of expected update {ExpectedUpdateId} occurrence {Occurrence} (crisis {CrisisId})",
                    entry.Kind, entry.ExpectedUpdateId, entry.Occurrence, entry.CrisisId);
                await store.SetAsideAsync(entry, e.Message, time.GetUtcNow(), cancellationToken);
                setAside++;
            }
        }

        var sent = await outbox.DispatchAsync(MaxSendsPerRun, cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"{due.Count} due entries ({setAside} set aside), {queued} messages queued; {sent.Sent} sent, {sent.Retried} to retry, {sent.Failed} failed");
    }

    private static IEnumerable<OutboxChannel> ChannelsOf(Stakeholder recipient)
    {
        if (recipient.Email is not null)
        {
            yield return OutboxChannel.Email;
        }

        if (recipient.WebhookUrl is not null)
        {
            yield return OutboxChannel.Webhook;
        }
    }

    private async Task<int> HandleAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        var found = await store.GetExpectedAsync(entry.CrisisId, entry.ExpectedUpdateId, cancellationToken);
        var crisis = (await crises.GetAsync(entry.CrisisId, cancellationToken))?.Crisis;
        if (found is not { Update: var update } || crisis is null || !Applies(update, crisis, entry))
        {
            await store.RemoveDueAsync(entry, cancellationToken);
            return 0;
        }

        if (entry.Kind == DueKind.Remind)
        {
            await store.IndexAsync(update, DueKind.Escalate, update.Current.DueAt + update.GracePeriod, cancellationToken);
        }

        var owner = (await store.GetAsync(update.OwnerId, cancellationToken))?.Stakeholder;
        var recipients = entry.Kind == DueKind.Remind
            ? (owner is null ? [] : [owner])
            : await EscalationTargetsAsync(update, cancellationToken);
        var queued = 0;
        if (owner is not null)
        {
            foreach (var recipient in recipients)
            {
                foreach (var channel in ChannelsOf(recipient))
                {
                    queued += await outbox.EnqueueAsync(ReminderNotifications.Message(entry.Kind, crisis.Id, update.Id, update.Current.Number, recipient.Id, channel), cancellationToken) ? 1 : 0;
                }
            }
        }
        else
        {
            logger.LogWarning("Expected update {ExpectedUpdateId}: owner {OwnerId} no longer exists", update.Id, update.OwnerId);
        }

        var now = time.GetUtcNow();
        var recorded = await updates.ChangeAsync(update.CrisisId, update.Id, current => current.Current.Number != entry.Occurrence ? current : current with
        {
            Occurrences = [.. current.Occurrences.SkipLast(1), entry.Kind == DueKind.Remind
                ? current.Current with { RemindedAt = current.Current.RemindedAt ?? now }
                : current.Current with { EscalatedAt = current.Current.EscalatedAt ?? now }],
        }, cancellationToken);
        if (owner is not null && recipients.Count > 0)
        {
            await AuditAsync(entry, recorded, recipients, now, cancellationToken);
        }

        await store.RemoveDueAsync(entry, cancellationToken);
        logger.LogInformation("{Kind} for expected update {ExpectedUpdateId} occurrence {Occurrence}: {Queued} messages queued", entry.Kind, update.Id, entry.Occurrence, queued);
        return queued;
    }

    /// <summary>
    /// Audits the reminder or escalation on the crisis, at the time recorded on the occurrence. The entry is written
    /// before the due entry is removed and is keyed on the occurrence, so a run that crashed in between and is
    /// replayed writes the same entry again rather than losing it or adding a second.
    /// </summary>
    private Task AuditAsync(DueEntry entry, ExpectedUpdate update, IReadOnlyList<Stakeholder> recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var occurrence = update.Occurrences.FirstOrDefault(o => o.Number == entry.Occurrence);
        var at = (entry.Kind == DueKind.Remind ? occurrence?.RemindedAt : occurrence?.EscalatedAt) ?? now;
        var what = string.Create(CultureInfo.InvariantCulture, $"{update.Topic} (expected update {update.Id}, occurrence {entry.Occurrence})");
        var to = string.Join(", ", recipients.Select(r => r.Name));
        return entry.Kind == DueKind.Remind
            ? crises.AuditOnceAsync(update.CrisisId, $"{update.Id}|{entry.Occurrence}|remind", at, Actor, RemindAction, $"{what}: reminded {to}", cancellationToken)
            : crises.AuditOnceAsync(update.CrisisId, $"{update.Id}|{entry.Occurrence}|escalate", at, Actor, EscalateAction, $"{what}: escalated to {to}", cancellationToken);
    }

    /// <summary>An entry applies to an active update of a crisis still under way, for its current, unanswered occurrence.</summary>
    private static bool Applies(ExpectedUpdate update, CrisisRecord crisis, DueEntry entry) =>
        update.Status == ExpectedUpdateStatus.Active
        && crisis.Status is CrisisStatus.Active or CrisisStatus.Draft
        && update.Current.Number == entry.Occurrence
        && update.Current.SatisfiedAt is null;

    private async Task<List<Stakeholder>> EscalationTargetsAsync(ExpectedUpdate update, CancellationToken cancellationToken)
    {
        var all = await store.ListAsync(cancellationToken);
        return update.EscalateTo.Count > 0
            ? [.. all.Where(s => update.EscalateTo.Contains(s.Id))]
            : [.. all.Where(s => s.Role == StakeholderRole.DecisionMaker)];
    }
}
