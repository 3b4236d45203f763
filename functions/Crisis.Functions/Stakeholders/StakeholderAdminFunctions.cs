using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Stakeholders;

public sealed record StakeholderList(IReadOnlyList<Stakeholder> Stakeholders);

public sealed record ExpectedUpdateList(IReadOnlyList<ExpectedUpdate> ExpectedUpdates);

/// <summary>An expected update's current occurrence as the admin view shows it.</summary>
public sealed record DueItem(string ExpectedUpdateId, string Topic, string OwnerId, int Occurrence, DateTimeOffset DueAt, DateTimeOffset EscalatesAt, string State, DateTimeOffset? RemindedAt, DateTimeOffset? EscalatedAt);

/// <summary>What is owed now; <see cref="SetAside"/> lists reminders the timer could not handle (logged, no longer retried).</summary>
public sealed record DueView(DateTimeOffset At, IReadOnlyList<DueItem> Due, IReadOnlyList<DueItem> Overdue, IReadOnlyList<DueItem> Upcoming, IReadOnlyList<SetAsideEntry> SetAside);

/// <summary>How one occurrence owed by a stakeholder went: on-time, late, overdue (still open, past grace), missed (closed unanswered) or open.</summary>
public sealed record OccurrenceOutcome(string CrisisId, string ExpectedUpdateId, string Topic, int Occurrence, DateTimeOffset DueAt, DateTimeOffset? SatisfiedAt, string Outcome);

public sealed record StakeholderRecord(string StakeholderId, int OnTime, int Late, int Overdue, int Missed, IReadOnlyList<OccurrenceOutcome> Occurrences);

/// <summary>
/// How owed updates went: each occurrence on time, late, overdue (open, past its grace period), missed (closed
/// unanswered) or open. Only an occurrence that fell due while the crisis was live can be missed: one due after
/// the crisis ended (or, for a closed update, not yet due) was never owed and is left out.
/// </summary>
public static class OccurrenceOutcomes
{
    /// <summary>When the crisis stopped being live: null while it is a draft or active, else when it ended.</summary>
    public static DateTimeOffset? EndOf(CrisisRecord? crisis) =>
        crisis is { Status: CrisisStatus.Active or CrisisStatus.Draft } ? null : crisis?.EndedAt ?? crisis?.ArchivedAt ?? DateTimeOffset.MinValue;

    public static IEnumerable<OccurrenceOutcome> Of(ExpectedUpdate update, DateTimeOffset? crisisEndedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(update);
        var closed = update.Status != ExpectedUpdateStatus.Active || crisisEndedAt is not null;
        var liveUntil = crisisEndedAt is { } end && end < now ? end : now;
        foreach (var occurrence in update.Occurrences)
        {
            var deadline = occurrence.DueAt + update.GracePeriod;
            if (occurrence.SatisfiedAt is null && closed && occurrence.DueAt >= liveUntil)
            {
                continue;
            }

            var outcome = occurrence.SatisfiedAt is { } at
                ? at <= deadline ? "on-time" : "late"
                : closed ? "missed" : now > deadline ? "overdue" : "open";
            yield return new OccurrenceOutcome(update.CrisisId, update.Id, update.Topic, occurrence.Number, occurrence.DueAt, occurrence.SatisfiedAt, outcome);
        }
    }

    public static StakeholderRecord Record(string stakeholderId, IReadOnlyCollection<OccurrenceOutcome> outcomes) => new(stakeholderId,
        outcomes.Count(o => o.Outcome == "on-time"), outcomes.Count(o => o.Outcome == "late"),
        outcomes.Count(o => o.Outcome == "overdue"), outcomes.Count(o => o.Outcome == "missed"),
        [.. outcomes.OrderBy(o => o.DueAt)]);
}

/// <summary>The people who owe updates and are escalated to: their contact details and how their owed updates went.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: stakeholders")]
public sealed class StakeholderAdminFunctions(StakeholderStore store, CrisisStore crises, IOptions<WebhookOptions> webhooks, TimeProvider time)
{
    private const int MaxBody = 16 * 1024;

    [Function("ListStakeholders")]
    public async Task<Ok<StakeholderList>> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/stakeholders")] HttpRequest request) =>
        TypedResults.Ok(new StakeholderList([.. (await store.ListAsync(request.HttpContext.RequestAborted)).OrderBy(s => s.Name, StringComparer.CurrentCulture)]));

    [Function("GetStakeholder")]
    public async Task<Ok<Stakeholder>> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/stakeholders/{stakeholderId}")] HttpRequest request, string stakeholderId) =>
        TypedResults.Ok(await FindAsync(stakeholderId, request.HttpContext.RequestAborted));

    [Function("CreateStakeholder")]
    [JsonBody(typeof(StakeholderRequest))]
    public async Task<Results<Created<Stakeholder>, ValidationProblem, ProblemHttpResult>> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/stakeholders")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (input, problem, invalid) = await ReadAsync(request, webhooks.Value, cancellationToken);
        if (input is null)
        {
            return problem is not null ? problem : invalid!;
        }

        var now = time.GetUtcNow();
        var stakeholder = FromRequest(StakeholderStore.NewId(), input, now, now);
        await store.SaveAsync(stakeholder, null, cancellationToken);
        return TypedResults.Created($"/api/admin/stakeholders/{stakeholder.Id}", stakeholder);
    }

    [Function("UpdateStakeholder")]
    [JsonBody(typeof(StakeholderRequest), 412)]
    public async Task<Results<Ok<Stakeholder>, ValidationProblem, ProblemHttpResult>> Replace(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/stakeholders/{stakeholderId}")] HttpRequest request, string stakeholderId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (current, etag) = await store.GetAsync(stakeholderId, cancellationToken) ?? throw new CrisisNotFoundException($"Stakeholder {stakeholderId}");
        var (input, problem, invalid) = await ReadAsync(request, webhooks.Value, cancellationToken);
        if (input is null)
        {
            return problem is not null ? problem : invalid!;
        }

        var updated = FromRequest(stakeholderId, input, current.CreatedAt, time.GetUtcNow());
        try
        {
            await store.SaveAsync(updated, etag, cancellationToken);
        }
        catch (ChangedMeanwhileException)
        {
            throw new VersionMismatchException($"Stakeholder {stakeholderId} was changed by someone else; read it again.");
        }

        return TypedResults.Ok(updated);
    }

    [Function("DeleteStakeholder")]
    public async Task<Results<NoContent, ProblemHttpResult>> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "admin/stakeholders/{stakeholderId}")] HttpRequest request, string stakeholderId) =>
        await store.DeleteAsync(stakeholderId, request.HttpContext.RequestAborted)
            ? TypedResults.NoContent()
            : Problems.Create(404, Problems.NotFound, "Not found", $"Stakeholder {stakeholderId} does not exist.");

    [Function("GetStakeholderRecord")]
    public async Task<Ok<StakeholderRecord>> Record(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/stakeholders/{stakeholderId}/record")] HttpRequest request, string stakeholderId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await FindAsync(stakeholderId, cancellationToken);
        var now = time.GetUtcNow();
        var outcomes = new List<OccurrenceOutcome>();
        foreach (var update in await store.ListExpectedByOwnerAsync(stakeholderId, cancellationToken))
        {
            var crisisEndedAt = OccurrenceOutcomes.EndOf((await crises.GetAsync(update.CrisisId, cancellationToken))?.Crisis);
            outcomes.AddRange(OccurrenceOutcomes.Of(update, crisisEndedAt, now));
        }

        return TypedResults.Ok(OccurrenceOutcomes.Record(stakeholderId, outcomes));
    }

    private async Task<Stakeholder> FindAsync(string stakeholderId, CancellationToken cancellationToken) =>
        (await store.GetAsync(stakeholderId, cancellationToken) ?? throw new CrisisNotFoundException($"Stakeholder {stakeholderId}")).Stakeholder;

    /// <summary>The request body as a valid stakeholder, or the problem (malformed) or validation problem (invalid) that says why not.</summary>
    private static async Task<(StakeholderRequest? Input, ProblemHttpResult? Problem, ValidationProblem? Invalid)> ReadAsync(
        HttpRequest request, WebhookOptions webhooks, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<StakeholderRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return (null, body.Problem, null);
        }

        var validation = StakeholderValidation.Validate(body.Value!, webhooks.AllowedPrivateHosts);
        return validation.IsValid ? (body.Value, null, null) : (null, null, validation.ToProblem());
    }

    private static Stakeholder FromRequest(string id, StakeholderRequest request, DateTimeOffset created, DateTimeOffset updated) => new()
    {
        Id = id,
        Name = request.Name.Trim(),
        Email = request.Email,
        WebhookUrl = request.WebhookUrl,
        Role = request.Role,
        Areas = request.Areas ?? [],
        Language = Languages.Normalise(request.Language)!,
        TimeZone = request.TimeZone,
        CanPublish = request.CanPublish,
        CreatedAt = created,
        UpdatedAt = updated,
    };
}

/// <summary>The updates a crisis is owed by its stakeholders: what is owed, by whom, and what is due or overdue now.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: expected updates")]
public sealed class ExpectedUpdateAdminFunctions(CrisisService crises, StakeholderStore store, ExpectedUpdateService updates, TimeProvider time)
{
    private const int MaxBody = 16 * 1024;
    private static readonly TimeSpan MaxDueInPast = TimeSpan.FromDays(1);
    private static readonly TimeSpan MaxDueAhead = TimeSpan.FromDays(366);

    [Function("ListExpectedUpdates")]
    public async Task<Ok<ExpectedUpdateList>> ListExpected(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/expected-updates")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new ExpectedUpdateList([.. (await store.ListExpectedAsync(id, cancellationToken)).OrderBy(u => u.Current.DueAt)]));
    }

    [Function("CreateExpectedUpdate")]
    [JsonBody(typeof(ExpectedUpdateRequest))]
    public async Task<Results<Created<ExpectedUpdate>, ValidationProblem, ProblemHttpResult>> CreateExpected(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/expected-updates")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var crisis = await crises.GetAsync(id, cancellationToken);
        if (crisis.Status is not (CrisisStatus.Draft or CrisisStatus.Active))
        {
            return Problems.Create(409, Problems.Conflict, "Crisis is over", $"Crisis {id} is {crisis.Status.ToString().ToLowerInvariant()}; no more updates are owed.");
        }

        var body = await JsonBody.ReadAsync<ExpectedUpdateRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = new Validation();
        validation.Text("topic", input.Topic, ExpectedUpdateRequest.MaxTopic, multiline: false);
        validation.Text("area", input.Area, StakeholderValidation.MaxArea, required: false, multiline: false);
        if (!CrisisIds.IsWellFormedChild(input.OwnerId) || await store.GetAsync(input.OwnerId, cancellationToken) is null)
        {
            validation.Add("ownerId", "must name an existing stakeholder.");
        }

        foreach (var target in input.EscalateTo ?? [])
        {
            if (!CrisisIds.IsWellFormedChild(target) || await store.GetAsync(target, cancellationToken) is null)
            {
                validation.Add("escalateTo", $"'{target}' is not an existing stakeholder.");
            }
        }

        validation.Count("escalateTo", input.EscalateTo, ExpectedUpdateRequest.MaxEscalateTo);
        if (input.Cadence is { } cadence && (cadence < TimeSpan.FromMinutes(15) || cadence > TimeSpan.FromDays(31)))
        {
            validation.Add("cadence", "must be between 00:15:00 and 31.00:00:00.");
        }

        if (input.GracePeriod is { } grace && (grace < TimeSpan.Zero || grace > TimeSpan.FromDays(2)))
        {
            validation.Add("gracePeriod", "must be between 00:00:00 and 2.00:00:00.");
        }

        // Every later view adds the grace period and cadences to it: keep it where dates can still be added to.
        var now = time.GetUtcNow();
        if (input.DueAt < now - MaxDueInPast || input.DueAt > now + MaxDueAhead)
        {
            validation.Add("dueAt", $"must be within {MaxDueInPast.TotalDays:0} days before and {MaxDueAhead.TotalDays:0} days after now.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var created = await updates.CreateAsync(id, input, cancellationToken);
        return TypedResults.Created($"/api/admin/crises/{id}/expected-updates/{created.Id}", created);
    }

    [Function("CancelExpectedUpdate")]
    [NoBody]
    public async Task<Ok<ExpectedUpdate>> CancelExpected(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/expected-updates/{expectedUpdateId}/cancel")] HttpRequest request, string id, string expectedUpdateId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var cancelled = await updates.CancelAsync(id, expectedUpdateId, cancellationToken);
        return TypedResults.Ok(cancelled);
    }

    [Function("GetDueUpdates")]
    public async Task<Ok<DueView>> Due(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/expected-updates/due")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var now = time.GetUtcNow();
        var items = (await store.ListExpectedAsync(id, cancellationToken))
            .Where(u => u.Status == ExpectedUpdateStatus.Active && u.Current.SatisfiedAt is null)
            .Select(u =>
            {
                var escalatesAt = u.Current.DueAt + u.GracePeriod;
                var state = now >= escalatesAt ? "overdue" : now >= u.Current.DueAt ? "due" : "upcoming";
                return new DueItem(u.Id, u.Topic, u.OwnerId, u.Current.Number, u.Current.DueAt, escalatesAt, state, u.Current.RemindedAt, u.Current.EscalatedAt);
            })
            .OrderBy(i => i.DueAt)
            .ToList();
        return TypedResults.Ok(new DueView(now, [.. items.Where(i => i.State == "due")], [.. items.Where(i => i.State == "overdue")], [.. items.Where(i => i.State == "upcoming")],
            await store.SetAsideAsync(id, cancellationToken)));
    }
}
