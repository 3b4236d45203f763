using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Touchpoints;

public sealed class ExpiryOptions
{
    public const string Section = "Expiry";

    /// <summary>How long after a crisis ends its content stays before the expiry timer restores and archives.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Puts touchpoints back to normal: by hand (restore, undo) or when an ended crisis expires. Every flip is audited on its crisis.</summary>
public sealed class TouchpointRestorer(TouchpointStore touchpoints, TouchpointPublisher publisher, CrisisStore crises, ILogger<TouchpointRestorer> logger)
{
    /// <summary>Takes every override of the touchpoint out of force; returns how many it restored.</summary>
    public async Task<int> RestoreAsync(string touchpointId, string actor, CancellationToken cancellationToken)
    {
        var restored = 0;
        foreach (var state in (await touchpoints.OverridesAsync(touchpointId, cancellationToken)).Where(o => o.Active))
        {
            restored += await FlipAsync(state, active: false, actor, cancellationToken) ? 1 : 0;
        }

        return restored;
    }

    /// <summary>Puts back in force the overrides the touchpoint's latest restore took out.</summary>
    public async Task<int> UndoRestoreAsync(string touchpointId, string actor, CancellationToken cancellationToken)
    {
        var overrides = await touchpoints.OverridesAsync(touchpointId, cancellationToken);
        var latest = overrides.Where(o => !o.Active && o.RestoredAt is not null).Select(o => o.RestoredAt).Max();
        var undone = 0;
        foreach (var state in overrides.Where(o => !o.Active && o.RestoredAt == latest && latest is not null))
        {
            undone += await FlipAsync(state, active: true, actor, cancellationToken) ? 1 : 0;
        }

        return undone;
    }

    /// <summary>Restores every touchpoint the crisis overrides (idempotent: restored ones are left alone).</summary>
    public async Task<int> RestoreCrisisAsync(string crisisId, string actor, CancellationToken cancellationToken)
    {
        var restored = 0;
        foreach (var state in (await touchpoints.OverridesOfCrisisAsync(crisisId, cancellationToken)).Where(o => o.Active))
        {
            restored += await FlipAsync(state, active: false, actor, cancellationToken) ? 1 : 0;
        }

        return restored;
    }

    /// <summary>Flips one override if nobody else did first, and audits it; false when someone else changed it.</summary>
    private async Task<bool> FlipAsync(OverrideState state, bool active, string actor, CancellationToken cancellationToken)
    {
        if (!await touchpoints.SetActiveAsync(state, active, actor, cancellationToken))
        {
            return false;
        }

        await crises.AuditAsync(state.CrisisId, actor, active ? "touchpoint.undo-restore" : "touchpoint.restore",
            $"{state.TouchpointId}: {(active ? "normal content" : "crisis override")}", $"{state.TouchpointId}: {(active ? "crisis override" : "normal content")}", cancellationToken);
        logger.LogInformation("Touchpoint {TouchpointId}: override of crisis {CrisisId} {Change} by {Actor}", state.TouchpointId, state.CrisisId, active ? "back in force" : "restored", actor);
        await publisher.PublishAsync(state.TouchpointId, cancellationToken);
        return true;
    }
}

/// <summary>
/// The expiry timer: for every crisis ended longer ago than the grace period, restores the touchpoints it
/// overrides, archives its canned responses (kept, hidden from agents) and archives it (archived crises leave the
/// public pages and FAQ); then republishes every touchpoint whose publication is behind. Each step checks the state it
/// changes, so replays and concurrent runs change nothing more, and a crashed run is finished by the next.
/// </summary>
public sealed class ExpiryTimer(
    CrisisStore crises,
    CrisisService crisisService,
    TouchpointRestorer restorer,
    CannedResponses.CannedResponseStore responses,
    TouchpointPublisher publisher,
    IOptions<ExpiryOptions> options,
    TimeProvider time,
    ILogger<ExpiryTimer> logger, TimerRuns runs) : ITimerFunction
{
    public const string Actor = "expiry-timer";

    /// <summary>The audit action that says why a crisis' expiry could not finish.</summary>
    public const string SetAsideAction = "expiry.set-aside";

    public const string FunctionName = "CrisisExpiry";

    public string Name => FunctionName;

    [Function(FunctionName)]
    public Task Run([TimerTrigger("%EXPIRY_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        runs.RunAsync(this, timer, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var due = (await crises.ListAsync(cancellationToken))
            .Where(c => c.Status == CrisisStatus.Ended && c.EndedAt + options.Value.GracePeriod <= time.GetUtcNow())
            .ToList();
        int restored = 0, archived = 0, setAside = 0;
        foreach (var crisis in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var (touchpoints, done) = await ExpireAsync(crisis, cancellationToken);
                restored += touchpoints;
                archived += done ? 1 : 0;
            }
            catch (Exception e) when (e is not (StorageUnavailableException or OperationCanceledException))
            {
                // One crisis that cannot be expired must not keep every other ended crisis on its touchpoints. It is
                // tried again each run (what failed may be fixed meanwhile); admins see why in its audit, once.
                logger.LogError(e, "Set aside the expiry of crisis {CrisisId}", crisis.Id);
                var dueAt = (crisis.EndedAt ?? time.GetUtcNow()) + options.Value.GracePeriod;
                await crises.AuditOnceAsync(crisis.Id, "expiry-set-aside", dueAt, Actor, SetAsideAction, $"Expiry could not finish: {e.Message}", cancellationToken);
                setAside++;
            }
        }

        // Repairs a publication left behind when storage went away between a change and its publish.
        var republished = await publisher.PublishAllAsync(cancellationToken);
        return string.Create(CultureInfo.InvariantCulture, $"{due.Count} expired crises, {restored} touchpoints restored, {archived} archived, {setAside} set aside, {republished} touchpoints republished");
    }

    /// <summary>Restores the crisis' touchpoints, archives its canned responses, then the crisis; true when this run archived it.</summary>
    private async Task<(int Restored, bool Archived)> ExpireAsync(CrisisRecord crisis, CancellationToken cancellationToken)
    {
        var restored = await restorer.RestoreCrisisAsync(crisis.Id, Actor, cancellationToken);
        var responsesArchived = await responses.ArchiveAllAsync(crisis.Id, Actor, cancellationToken);
        if (responsesArchived > 0)
        {
            await crises.AuditAsync(crisis.Id, Actor, "canned-response.archive", null, $"{responsesArchived} canned responses archived with the crisis", cancellationToken);
        }

        try
        {
            await crisisService.MoveAsync(crisis.Id, CrisisStatus.Archived, crisis.Version, Actor, cancellationToken);
            return (restored, true);
        }
        catch (Exception e) when (e is IllegalTransitionException or VersionMismatchException or CrisisReadOnlyException)
        {
            logger.LogInformation("Crisis {CrisisId} was archived or changed by another run", crisis.Id);
            return (restored, false);
        }
    }
}
