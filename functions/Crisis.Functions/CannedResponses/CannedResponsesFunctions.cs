using System.Security.Claims;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Crisis.Functions.CannedResponses;

public sealed record CannedResponseList(IReadOnlyList<CannedResponse> Responses);

/// <summary>A response as an agent pastes it: the snippets in one language, then the crisis page link in that language.</summary>
public sealed record RenderedResponse(string Id, string Name, string Language, string Dir, string Text, string Link, int Uses);

public sealed record RenderedSummary(string Id, string Name, IReadOnlyList<string> Languages, IReadOnlyList<string> Tags, int Uses);

public sealed record RenderedSummaryList(IReadOnlyList<RenderedSummary> Responses);

/// <summary>
/// Canned responses: admins write them (draft → in review → approved by an expert stakeholder or an admin →
/// archived, every step audited on the crisis); agents find approved ones by name and render them, which counts a use.
/// </summary>
public static class CannedResponsesApi
{
    private const int MaxBody = 64 * 1024;
    private const int MaxConcurrencyRetries = 5;

    public static IEndpointRouteBuilder MapCannedResponses(this IEndpointRouteBuilder routes)
    {
        var admin = routes.AdminCrisesGroup("Admin: canned responses");
        admin.MapGet("/{id}/canned-responses", List).AsFunction("ListCannedResponses", FunctionAuthLevel.Function);
        admin.MapPost("/{id}/canned-responses", Create).AsFunction("CreateCannedResponse", FunctionAuthLevel.Function);
        admin.MapGet("/{id}/canned-responses/{responseId}", Get).AsFunction("GetCannedResponse", FunctionAuthLevel.Function);
        admin.MapPut("/{id}/canned-responses/{responseId}", Edit).AsFunction("EditCannedResponse", FunctionAuthLevel.Function);
        admin.MapPost("/{id}/canned-responses/{responseId}/submit", Submit).AsFunction("SubmitCannedResponse", FunctionAuthLevel.Function);
        admin.MapPost("/{id}/canned-responses/{responseId}/approve", Approve).AsFunction("ApproveCannedResponse", FunctionAuthLevel.Function);
        admin.MapPost("/{id}/canned-responses/{responseId}/archive", Archive).AsFunction("ArchiveCannedResponse", FunctionAuthLevel.Function);

        var agent = routes.MapProtectedGroup("/api/agent/crises/{id}/canned-responses", AccessServiceCollectionExtensions.AgentPolicy, "Agent: canned responses");
        agent.MapGet("", Find).AsFunction("FindCannedResponses", FunctionAuthLevel.Function);
        agent.MapGet("/{responseId}", Render).AsFunction("RenderCannedResponse", FunctionAuthLevel.Function);
        return routes;
    }

    public static async Task<Ok<CannedResponseList>> List(string id, CrisisService crises, CannedResponseStore store, CancellationToken cancellationToken)
    {
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new CannedResponseList(await store.ListAsync(id, cancellationToken)));
    }

    public static async Task<Ok<CannedResponse>> Get(string id, string responseId, CannedResponseStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await FindAsync(store, id, responseId, cancellationToken)).Response);

    public static async Task<Results<Created<CannedResponse>, ValidationProblem, ProblemHttpResult>> Create(
        string id, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, CannedResponseStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var (input, problem, invalid) = await ReadAsync(request, await EditableAsync(crises, id, cancellationToken), cancellationToken);
        if (input is null)
        {
            return problem is not null ? problem : invalid!;
        }

        var now = time.GetUtcNow();
        var response = new CannedResponse
        {
            Id = CrisisIds.New(input.Name), CrisisId = id, Name = input.Name.Trim(), Snippets = input.Snippets, Tags = input.Tags ?? [],
            Status = ResponseStatus.Draft, Version = 1, CreatedAt = now, UpdatedAt = now, UpdatedBy = user.Actor(),
        };
        await store.AddAsync(response, cancellationToken);
        await audit.AuditAsync(id, user.Actor(), "canned-response.create", null, $"{response.Id} v1 ({response.Name})", cancellationToken);
        return TypedResults.Created($"/api/admin/crises/{id}/canned-responses/{response.Id}", response);
    }

    /// <summary>Edits the text; an approved or in-review response goes back to draft, to be reviewed again.</summary>
    public static async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Edit(
        string id, string responseId, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, CannedResponseStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var (input, problem, invalid) = await ReadAsync(request, await EditableAsync(crises, id, cancellationToken), cancellationToken);
        if (input is null)
        {
            return problem is not null ? problem : invalid!;
        }

        return await ChangeAsync(store, audit, user, id, responseId, "canned-response.edit", ResponseStatus.Draft, current => current.Status == ResponseStatus.Archived
            ? "An archived response cannot be edited."
            : null, current => current with
            {
                Name = input.Name.Trim(), Snippets = input.Snippets, Tags = input.Tags ?? [], Status = ResponseStatus.Draft, Approval = null,
                Version = current.Version + 1, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor(),
            }, cancellationToken);
    }

    public static async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        string id, string responseId, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, CannedResponseStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        await EditableAsync(crises, id, cancellationToken);
        return await ChangeAsync(store, audit, user, id, responseId, "canned-response.submit", ResponseStatus.InReview,
            current => current.Status == ResponseStatus.Draft ? null : $"Only a draft can be submitted for review; this one is {Name(current.Status)}.",
            current => current with { Status = ResponseStatus.InReview, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor() }, cancellationToken);
    }

    /// <summary>Approves a response in review, for an expert stakeholder named in the request or for the calling admin; every checklist item must hold.</summary>
    public static async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Approve(
        string id, string responseId, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, CannedResponseStore store, StakeholderStore stakeholders,
        TimeProvider time, CancellationToken cancellationToken)
    {
        await EditableAsync(crises, id, cancellationToken);
        var body = await JsonBody.ReadAsync<ApprovalRequest>(request, 8 * 1024, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = new Validation();
        validation.Text("notes", input.Notes, 2000, required: false);
        foreach (var (item, held) in new[] { ("empathy", input.Checklist.Empathy), ("clarity", input.Checklist.Clarity), ("consistency", input.Checklist.Consistency), ("realism", input.Checklist.Realism), ("helpfulness", input.Checklist.Helpfulness) })
        {
            if (!held)
            {
                validation.Add($"checklist.{item}", "must be confirmed before approval.");
            }
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var approver = user.Actor();
        if (input.StakeholderId is { } stakeholderId)
        {
            var stakeholder = (CrisisIds.IsWellFormedChild(stakeholderId) ? await stakeholders.GetAsync(stakeholderId, cancellationToken) : null)?.Stakeholder;
            if (stakeholder is null)
            {
                return Problems.Create(404, Problems.NotFound, "Not found", $"Stakeholder {stakeholderId} does not exist.");
            }

            if (stakeholder.Role != StakeholderRole.Expert)
            {
                return Problems.Create(403, Problems.Forbidden, "Not an expert", $"{stakeholder.Name} is not an expert; only an expert stakeholder or an admin approves canned responses.");
            }

            approver = "stakeholder:" + stakeholder.Id;
        }

        return await ChangeAsync(store, audit, user, id, responseId, "canned-response.approve", ResponseStatus.Approved,
            current => current.Status == ResponseStatus.InReview ? null : $"Only a response in review can be approved; this one is {Name(current.Status)}.",
            current => current with
            {
                Status = ResponseStatus.Approved, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor(),
                Approval = new Approval(approver, input.StakeholderId, input.Checklist, input.Notes, time.GetUtcNow()),
            }, cancellationToken);
    }

    public static async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Archive(
        string id, string responseId, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, CannedResponseStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        await crises.GetAsync(id, cancellationToken);
        return await ChangeAsync(store, audit, user, id, responseId, "canned-response.archive", ResponseStatus.Archived,
            current => current.Status == ResponseStatus.Archived ? "The response is already archived." : null,
            current => current with { Status = ResponseStatus.Archived, ArchivedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor() }, cancellationToken);
    }

    /// <summary>Approved responses of a crisis that is not archived, optionally those whose name holds every term of <paramref name="q"/>.</summary>
    public static async Task<Results<Ok<RenderedSummaryList>, ProblemHttpResult>> Find(string id, [FromQuery] string? q, CrisisService crises, CannedResponseStore store, CancellationToken cancellationToken)
    {
        if (q is { Length: > 200 })
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", "q is at most 200 characters.");
        }

        var crisis = await crises.GetAsync(id, cancellationToken);
        if (crisis.Status == CrisisStatus.Archived)
        {
            return TypedResults.Ok(new RenderedSummaryList([]));
        }

        var terms = TextSearch.Terms(q ?? "");
        var found = (await store.ListAsync(id, cancellationToken))
            .Where(r => r.Status == ResponseStatus.Approved && TextSearch.Matches(TextSearch.Fold(r.Name), terms))
            .Select(r => new RenderedSummary(r.Id, r.Name, [.. r.Snippets.Keys], r.Tags, r.Uses))
            .ToList();
        return TypedResults.Ok(new RenderedSummaryList(found));
    }

    /// <summary>Renders an approved response in the asked (or negotiated) language, the crisis page link last, and counts the use.</summary>
    public static async Task<IResult> Render(
        string id, string responseId, [FromQuery] string? lang, HttpRequest request, CrisisService crises, CannedResponseStore store, PagePublisher publisher, CancellationToken cancellationToken)
    {
        if (!PublicApi.TryReadLanguage(lang, out var requested, out var problem))
        {
            return problem!;
        }

        var crisis = await crises.GetAsync(id, cancellationToken);
        var found = await store.GetAsync(id, responseId, cancellationToken);
        if (crisis.Status == CrisisStatus.Archived || found is not { Response: { Status: ResponseStatus.Approved } response })
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Crisis {id} has no approved response '{responseId}'.");
        }

        var language = Languages.Negotiate(requested, request.Headers.AcceptLanguage, [.. response.Snippets.Keys], crisis.DefaultLanguage);
        var link = publisher.Links(id, language, crisis.PublicPageUrl).Preferred;
        var text = string.Join("\n\n", response.Snippets[language].Select(s => s.Trim())) + "\n\n" + link;
        var uses = await store.CountUseAsync(id, responseId, cancellationToken);
        return TypedResults.Ok(new RenderedResponse(response.Id, response.Name, language, Languages.Direction(language), text, link, uses));
    }

    private static async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        CannedResponseStore store, CrisisStore audit, ClaimsPrincipal user, string crisisId, string responseId, string action, ResponseStatus to,
        Func<CannedResponse, string?> refuse, Func<CannedResponse, CannedResponse> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (current, etag) = await FindAsync(store, crisisId, responseId, cancellationToken);
            if (refuse(current) is { } why)
            {
                return Problems.Create(409, Problems.IllegalTransition, "Not allowed now", why);
            }

            var updated = change(current);
            try
            {
                await store.ReplaceAsync(updated, etag, cancellationToken);
            }
            catch (ChangedMeanwhileException) when (attempt < MaxConcurrencyRetries)
            {
                continue;
            }

            await audit.AuditAsync(crisisId, user.Actor(), action, $"{responseId} v{current.Version} {Name(current.Status)}", $"{responseId} v{updated.Version} {Name(to)}", cancellationToken);
            return TypedResults.Ok(updated);
        }
    }

    /// <summary>Reads and validates a response's text; the input, or the problem that explains why not.</summary>
    private static async Task<(CannedResponseRequest? Input, ProblemHttpResult? Problem, ValidationProblem? Invalid)> ReadAsync(HttpRequest request, CrisisRecord crisis, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<CannedResponseRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return (null, body.Problem, null);
        }

        var validation = CannedResponseValidation.Validate(body.Value!, crisis);
        return validation.IsValid ? (body.Value, null, null) : (null, null, validation.ToProblem());
    }

    private static async Task<(CannedResponse Response, Azure.ETag ETag)> FindAsync(CannedResponseStore store, string crisisId, string responseId, CancellationToken cancellationToken) =>
        await store.GetAsync(crisisId, responseId, cancellationToken) ?? throw new CrisisNotFoundException($"Canned response {responseId} of crisis {crisisId}");

    private static async Task<CrisisRecord> EditableAsync(CrisisService crises, string id, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        return crisis.Status == CrisisStatus.Archived ? throw new CrisisReadOnlyException(id) : crisis;
    }

    private static string Name(ResponseStatus status) => status == ResponseStatus.InReview ? "in review" : status.ToString().ToLowerInvariant();
}
