using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Stakeholders;

public sealed record ActionSummary(string CrisisId, string CrisisTitle, string Topic, int Occurrence, DateTimeOffset DueAt, string DueAtLocal, bool Answered, bool CanPublish);

/// <summary>An acknowledgement; <see cref="NewEta"/> moves the stakeholder's own due time, never the public promise.</summary>
public sealed record AcknowledgeRequest(
    [property: MaxLength(SignedTokens.MaxLength)] string Token,
    DateTimeOffset? NewEta = null,
    [property: MaxLength(AcknowledgeRequest.MaxNote)] string? Note = null)
{
    public const int MaxNote = 1000;
}

/// <summary>
/// An update posted from a reminder's link. Only a stakeholder allowed to publish may name when the next public
/// update comes (<see cref="NextUpdateExpectedAt"/>, the public promise); the reminder schedule stays internal.
/// </summary>
public sealed record PostUpdateRequest(
    [property: MaxLength(SignedTokens.MaxLength)] string Token,
    [property: LocalisedText(CrisisValidation.MaxUpdateText, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Text,
    DateTimeOffset? NextUpdateExpectedAt = null);

public sealed record ActionResult(string Status, int Occurrence, DateTimeOffset? NextDueAt, string? UpdateId = null, bool? Published = null);

/// <summary>
/// What a stakeholder does from the signed link in a reminder: look at what is owed (GET, changes nothing, so
/// link scanners are harmless), acknowledge with a new ETA, or post the update. Either answer satisfies the
/// occurrence and stops its escalation; a link for an answered occurrence changes nothing more.
/// </summary>
[Public(FeedbackApi.WritePolicy)]
[Tags("Stakeholder actions")]
public sealed partial class StakeholderActionsFunctions(
    SignedTokens tokens, StakeholderStore store, CrisisStore crises, CrisisService crisisService, ExpectedUpdateService updates, FormGuard forms, TimeProvider time)
{
    private const int MaxBody = 32 * 1024;
    private const string ExpiredAdvice = "This link has expired; ask the crisis coordinator for a new one.";

    /// <summary>What is owed, as JSON, or for a browser (Accept: text/html) the action page with its forms.</summary>
    [Function("GetStakeholderAction")]
    [QueryParameter("token", "the signed token from the link")]
    [QueryParameter("lang", "the page's language (browsers only); else the stakeholder's")]
    [LinkPage]
    public async Task<Results<Ok<ActionSummary>, ProblemHttpResult, HtmlPage.HtmlResult>> Show(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stakeholder-actions")] HttpRequest request)
    {
        var (target, problem) = await ResolveAsync(QueryValues.Text(request, "token"), tokens, store, crises, request.HttpContext.RequestAborted);
        if (WantsHtml(request))
        {
            return problem is null ? ActionPage(request, target!.Value, 200, null) : ProblemPage(request, problem, null);
        }

        if (problem is not null)
        {
            return problem;
        }

        var (crisis, update, occurrence, stakeholder) = target!.Value;
        var owed = update.Occurrences.Single(o => o.Number == occurrence);
        var answered = owed.SatisfiedAt is not null || update.Status != ExpectedUpdateStatus.Active;
        var language = MessageCatalogue.Resolve(stakeholder.Language, crisis.DefaultLanguage);
        return TypedResults.Ok(new ActionSummary(crisis.Id, crisis.Localised(crisis.Title, language), update.Topic, occurrence,
            owed.DueAt, LocalTimes.Format(owed.DueAt, stakeholder.TimeZone, language), answered, stakeholder.CanPublish));
    }

    [Function("AcknowledgeExpectedUpdate")]
    [JsonBody(typeof(AcknowledgeRequest), 404, 409, 410)]
    public async Task<Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult>> Acknowledge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stakeholder-actions/acknowledge")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<AcknowledgeRequest>(request, MaxBody, cancellationToken);
        return body.IsValid ? await AcknowledgeAsync(body.Value!, [], cancellationToken) : body.Problem!;
    }

    /// <summary>
    /// An acknowledgement (from the JSON API or the action page's form): validated, then the occurrence is answered.
    /// <paramref name="unreadable"/> holds what the caller could not read (a form's time that is no time).
    /// </summary>
    private async Task<Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult>> AcknowledgeAsync(
        AcknowledgeRequest input, IReadOnlyList<(string Field, string Message)> unreadable, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        foreach (var (field, message) in unreadable)
        {
            validation.Add(field, message);
        }

        validation.Text("note", input.Note, AcknowledgeRequest.MaxNote, required: false);
        if (input.NewEta is { } eta && (eta <= time.GetUtcNow() || eta > time.GetUtcNow().AddDays(31)))
        {
            validation.Add("newEta", "must be in the future, within 31 days.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var (target, problem) = await ResolveAsync(input.Token, tokens, store, crises, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (crisis, update, occurrence, stakeholder) = target!.Value;
        RequireEditable(crisis);
        var satisfied = await SatisfyAsync(updates, crisis.Id, update.Id, occurrence, Satisfaction.Acknowledged, input.NewEta, input.Note, stakeholder, cancellationToken);
        if (satisfied.Problem is not null)
        {
            return satisfied.Problem;
        }

        return TypedResults.Ok(new ActionResult("acknowledged", occurrence, NextDue(satisfied.Update!)));
    }

    [Function("PostStakeholderUpdate")]
    [JsonBody(typeof(PostUpdateRequest), 404, 409, 410)]
    public async Task<Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult>> PostUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stakeholder-actions/post-update")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<PostUpdateRequest>(request, MaxBody, cancellationToken);
        return body.IsValid ? await PostUpdateAsync(body.Value!, [], cancellationToken) : body.Problem!;
    }

    /// <summary>An update posted from the link (the JSON API or the action page's form): validated as any update of the crisis, then the occurrence is answered.</summary>
    private async Task<Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult>> PostUpdateAsync(
        PostUpdateRequest input, IReadOnlyList<(string Field, string Message)> unreadable, CancellationToken cancellationToken)
    {
        var (target, problem) = await ResolveAsync(input.Token, tokens, store, crises, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (crisis, update, occurrence, stakeholder) = target!.Value;
        RequireEditable(crisis);
        var validation = CrisisValidation.ValidateUpdate(new CreateUpdateRequest(input.Text, input.NextUpdateExpectedAt), crisis, time.GetUtcNow());
        foreach (var (field, message) in unreadable)
        {
            validation.Add(field, message);
        }

        if (input.NextUpdateExpectedAt is not null && !stakeholder.CanPublish)
        {
            validation.Add("nextUpdateExpectedAt", "can be set only by a stakeholder allowed to publish; leave it out and an admin will decide.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var satisfied = await SatisfyAsync(updates, crisis.Id, update.Id, occurrence, Satisfaction.Posted, null, null, stakeholder, cancellationToken);
        if (satisfied.Problem is not null)
        {
            return satisfied.Problem;
        }

        var nextDue = NextDue(satisfied.Update!);
        var posted = await crisisService.AddUpdateAsync(crisis.Id, input.Text, input.NextUpdateExpectedAt, null, stakeholder.CanPublish, "stakeholder:" + stakeholder.Id, cancellationToken);
        return TypedResults.Ok(new ActionResult("posted", occurrence, nextDue, posted.Id, posted.PublishedAt is not null));
    }

    /// <summary>Refuses (409) before anything changes: an archived crisis takes no more answers.</summary>
    private static void RequireEditable(CrisisRecord crisis)
    {
        if (crisis.Status == CrisisStatus.Archived)
        {
            throw new CrisisReadOnlyException(crisis.Id);
        }
    }

    private static DateTimeOffset? NextDue(ExpectedUpdate update) =>
        update.Status == ExpectedUpdateStatus.Active ? update.Current.DueAt : null;

    private static async Task<(ExpectedUpdate? Update, ProblemHttpResult? Problem)> SatisfyAsync(
        ExpectedUpdateService updates, string crisisId, string id, int occurrence, Satisfaction how, DateTimeOffset? newEta, string? note, Stakeholder by, CancellationToken cancellationToken)
    {
        try
        {
            return (await updates.SatisfyAsync(crisisId, id, occurrence, how, newEta, note, "stakeholder:" + by.Id, cancellationToken), null);
        }
        catch (AlreadySatisfiedException e)
        {
            return (null, Problems.Create(409, Problems.Conflict, "Already answered", e.Message));
        }
    }

    /// <summary>Checks the link and finds what it is about; tampered, expired or foreign links are 4xx and change nothing.</summary>
    private static async Task<((CrisisRecord Crisis, ExpectedUpdate Update, int Occurrence, Stakeholder Stakeholder)? Target, ProblemHttpResult? Problem)> ResolveAsync(
        string? token, SignedTokens tokens, StakeholderStore store, CrisisStore crises, CancellationToken cancellationToken)
    {
        var check = tokens.Verify(token, ReminderTimer.ActionPurpose, out var claims);
        if (check != TokenCheck.Valid)
        {
            return (null, LinkProblems.For(check, ExpiredAdvice));
        }

        var parts = claims!.Subject.Split('|');
        if (parts.Length != 4 || !int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var occurrence))
        {
            return (null, LinkProblems.For(TokenCheck.Malformed, ExpiredAdvice));
        }

        var crisis = (await crises.GetAsync(parts[0], cancellationToken))?.Crisis;
        var update = (await store.GetExpectedAsync(parts[0], parts[1], cancellationToken))?.Update;
        var stakeholder = (await store.GetAsync(parts[3], cancellationToken))?.Stakeholder;
        var owed = update is null ? null : await store.OccurrenceAsync(update, occurrence, cancellationToken);
        if (crisis is null || update is null || stakeholder is null || owed is null)
        {
            return (null, Problems.Create(404, Problems.NotFound, "Not found", "What this link refers to no longer exists."));
        }

        // The link's occurrence may have rolled into the history: it travels with the update, before the current one.
        var withOwed = owed.Number == update.Current.Number ? update : update with { Occurrences = [owed, update.Current] };
        return ((crisis, withOwed, occurrence, stakeholder), null);
    }
}
