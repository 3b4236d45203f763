using System.Globalization;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Stakeholders;

public sealed class AlreadySatisfiedException(int occurrence)
    : InvalidOperationException($"Occurrence {occurrence} has already been answered; this link can no longer change it.");

/// <summary>Creating, satisfying and cancelling expected updates, keeping the due index in step.</summary>
public sealed class ExpectedUpdateService(StakeholderStore store, CrisisStore crises, TimeProvider time, ILogger<ExpectedUpdateService> logger)
{
    public const string AcknowledgeAction = "expected-update.acknowledge";
    public const string PostAction = "expected-update.post";
    private const int MaxRetries = 5;

    public async Task<ExpectedUpdate> CreateAsync(string crisisId, ExpectedUpdateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var update = new ExpectedUpdate
        {
            Id = StakeholderStore.NewId(),
            CrisisId = crisisId,
            OwnerId = request.OwnerId,
            Topic = request.Topic.Trim(),
            Area = request.Area?.Trim(),
            Cadence = request.Cadence,
            GracePeriod = request.GracePeriod ?? TimeSpan.FromMinutes(30),
            EscalateTo = request.EscalateTo ?? [],
            Status = ExpectedUpdateStatus.Active,
            Occurrences = [new Occurrence { Number = 1, DueAt = request.DueAt.ToUniversalTime() }],
            CreatedAt = time.GetUtcNow(),
        };
        await store.CreateExpectedAsync(update, cancellationToken);
        return update;
    }

    /// <summary>
    /// Marks occurrence <paramref name="occurrence"/> answered (acknowledged or posted), which stops its escalation,
    /// and rolls a recurring update (or one given a new ETA) to its next occurrence. A second answer to the same
    /// occurrence is refused with <see cref="AlreadySatisfiedException"/>. The answer is audited on the crisis as by <paramref name="actor"/>.
    /// </summary>
    public async Task<ExpectedUpdate> SatisfyAsync(string crisisId, string id, int occurrence, Satisfaction how, DateTimeOffset? newEta, string? note, string actor, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (update, etag) = await store.GetExpectedAsync(crisisId, id, cancellationToken) ?? throw new CrisisNotFoundException($"Expected update {id}");
            if (update.Status != ExpectedUpdateStatus.Active || update.Current.Number != occurrence || update.Current.SatisfiedAt is not null)
            {
                throw new AlreadySatisfiedException(occurrence);
            }

            var now = time.GetUtcNow();
            var occurrences = update.Occurrences.ToList();
            occurrences[^1] = update.Current with { SatisfiedAt = now, SatisfiedBy = how, Note = note };
            var nextDue = newEta ?? (update.Cadence is { } cadence ? update.Current.DueAt + cadence : (DateTimeOffset?)null);
            if (nextDue is { } due)
            {
                occurrences.Add(new Occurrence { Number = occurrence + 1, DueAt = due.ToUniversalTime() });
            }

            var satisfied = update with
            {
                Occurrences = occurrences,
                Status = nextDue is null ? ExpectedUpdateStatus.Completed : ExpectedUpdateStatus.Active,
            };

            // The next reminder is indexed before the update rolls; an index row ahead of its update is dropped by the timer.
            if (nextDue is { } indexed)
            {
                await store.IndexAsync(satisfied, DueKind.Remind, indexed, cancellationToken);
            }

            try
            {
                await store.ReplaceExpectedAsync(satisfied, etag, cancellationToken);
            }
            catch (ChangedMeanwhileException) when (attempt < MaxRetries)
            {
                // The timer recorded a reminder in between: read again.
                continue;
            }

            // Expected updates live in their own table, so the audit entry follows the change it records. Only the
            // request whose write answered the occurrence gets here: any later answer is refused above.
            var eta = newEta is { } given ? string.Create(CultureInfo.InvariantCulture, $"; new ETA {given.ToUniversalTime():yyyy-MM-dd HH:mm} UTC") : "";
            await crises.AuditOnceAsync(crisisId, $"{id}|{occurrence}|answer", now, actor, how == Satisfaction.Acknowledged ? AcknowledgeAction : PostAction,
                string.Create(CultureInfo.InvariantCulture, $"{update.Topic} (expected update {id}, occurrence {occurrence}){eta}"), cancellationToken);
            logger.LogInformation("Expected update {ExpectedUpdateId} occurrence {Occurrence} {How}", id, occurrence, how);
            return satisfied;
        }
    }

    public async Task<ExpectedUpdate> CancelAsync(string crisisId, string id, CancellationToken cancellationToken) =>
        await ChangeAsync(crisisId, id, u => u.Status == ExpectedUpdateStatus.Active ? u with { Status = ExpectedUpdateStatus.Cancelled } : u, cancellationToken);

    /// <summary>Applies a change to the current record, re-reading on a concurrent write.</summary>
    public async Task<ExpectedUpdate> ChangeAsync(string crisisId, string id, Func<ExpectedUpdate, ExpectedUpdate> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var (update, etag) = await store.GetExpectedAsync(crisisId, id, cancellationToken) ?? throw new CrisisNotFoundException($"Expected update {id}");
            var changed = change(update);
            if (changed == update)
            {
                return update;
            }

            try
            {
                await store.ReplaceExpectedAsync(changed, etag, cancellationToken);
                return changed;
            }
            catch (ChangedMeanwhileException) when (attempt < MaxRetries)
            {
                // Changed by someone else in between: read again.
            }
        }
    }
}
