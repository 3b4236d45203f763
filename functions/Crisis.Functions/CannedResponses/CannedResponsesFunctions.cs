using System.Security.Claims;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.CannedResponses;

public sealed record CannedResponseList(IReadOnlyList<CannedResponse> Responses);

/// <summary>A response as an agent pastes it: the snippets in one language, then the crisis page link in that language.</summary>
public sealed record RenderedResponse(string Id, string Name, string Language, string Dir, string Text, string Link, int Uses);

public sealed record RenderedSummary(string Id, string Name, IReadOnlyList<string> Languages, IReadOnlyList<string> Tags, int Uses);

public sealed record RenderedSummaryList(IReadOnlyList<RenderedSummary> Responses);

/// <summary>
/// Canned responses, the admins' side: they write them (draft → in review → approved by an expert stakeholder or an
/// admin → archived, every step audited on the crisis).
/// </summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: canned responses")]
public sealed class CannedResponsesAdminFunctions(CrisisService crises, CrisisStore audit, CannedResponseStore store, StakeholderStore stakeholders, TimeProvider time)
{
    private const int MaxBody = 64 * 1024;
    private const int MaxConcurrencyRetries = 5;

    [Function("ListCannedResponses")]
    public async Task<Ok<CannedResponseList>> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/canned-responses")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new CannedResponseList(await store.ListAsync(id, cancellationToken)));
    }

    [Function("GetCannedResponse")]
    public async Task<Ok<CannedResponse>> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/canned-responses/{responseId}")] HttpRequest request, string id, string responseId) =>
        TypedResults.Ok((await FindAsync(id, responseId, request.HttpContext.RequestAborted)).Response);

    [Function("CreateCannedResponse")]
    [JsonBody(typeof(CannedResponseRequest))]
    public async Task<Results<Created<CannedResponse>, ValidationProblem, ProblemHttpResult>> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/canned-responses")] HttpRequest request, string id)
    {
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        var (input, problem, invalid) = await ReadAsync(request, await EditableAsync(id, cancellationToken), cancellationToken);
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
    [Function("EditCannedResponse")]
    [JsonBody(typeof(CannedResponseRequest))]
    public async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Edit(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/crises/{id}/canned-responses/{responseId}")] HttpRequest request, string id, string responseId)
    {
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        var (input, problem, invalid) = await ReadAsync(request, await EditableAsync(id, cancellationToken), cancellationToken);
        if (input is null)
        {
            return problem is not null ? problem : invalid!;
        }

        return await ChangeAsync(user, id, responseId, "canned-response.edit", ResponseStatus.Draft, current => current.Status == ResponseStatus.Archived
            ? "An archived response cannot be edited."
            : null, current => current with
            {
                Name = input.Name.Trim(), Snippets = input.Snippets, Tags = input.Tags ?? [], Status = ResponseStatus.Draft, Approval = null,
                Version = current.Version + 1, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor(),
            }, cancellationToken);
    }

    [Function("SubmitCannedResponse")]
    [NoBody]
    public async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/canned-responses/{responseId}/submit")] HttpRequest request, string id, string responseId)
    {
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        await EditableAsync(id, cancellationToken);
        return await ChangeAsync(user, id, responseId, "canned-response.submit", ResponseStatus.InReview,
            current => current.Status == ResponseStatus.Draft ? null : $"Only a draft can be submitted for review; this one is {Name(current.Status)}.",
            current => current with { Status = ResponseStatus.InReview, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor() }, cancellationToken);
    }

    /// <summary>Approves a response in review, for an expert stakeholder named in the request or for the calling admin; every checklist item must hold.</summary>
    [Function("ApproveCannedResponse")]
    [JsonBody(typeof(ApprovalRequest))]
    public async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Approve(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/canned-responses/{responseId}/approve")] HttpRequest request, string id, string responseId)
    {
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        await EditableAsync(id, cancellationToken);
        var body = await JsonBody.ReadAsync<ApprovalRequest>(request, 8 * 1024, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = new Validation();
        validation.Text("notes", input.Notes, ApprovalRequest.MaxNotes, required: false);
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

        return await ChangeAsync(user, id, responseId, "canned-response.approve", ResponseStatus.Approved,
            current => current.Status == ResponseStatus.InReview ? null : $"Only a response in review can be approved; this one is {Name(current.Status)}.",
            current => current with
            {
                Status = ResponseStatus.Approved, UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor(),
                Approval = new Approval(approver, input.StakeholderId, input.Checklist, input.Notes, time.GetUtcNow()),
            }, cancellationToken);
    }

    [Function("ArchiveCannedResponse")]
    [NoBody]
    public async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> Archive(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/canned-responses/{responseId}/archive")] HttpRequest request, string id, string responseId)
    {
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return await ChangeAsync(user, id, responseId, "canned-response.archive", ResponseStatus.Archived,
            current => current.Status == ResponseStatus.Archived ? "The response is already archived." : null,
            current => current with { Status = ResponseStatus.Archived, ArchivedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow(), UpdatedBy = user.Actor() }, cancellationToken);
    }

    private async Task<Results<Ok<CannedResponse>, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        ClaimsPrincipal user, string crisisId, string responseId, string action, ResponseStatus to,
        Func<CannedResponse, string?> refuse, Func<CannedResponse, CannedResponse> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (current, etag) = await FindAsync(crisisId, responseId, cancellationToken);
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

    private async Task<(CannedResponse Response, Azure.ETag ETag)> FindAsync(string crisisId, string responseId, CancellationToken cancellationToken) =>
        await store.GetAsync(crisisId, responseId, cancellationToken) ?? throw new CrisisNotFoundException($"Canned response {responseId} of crisis {crisisId}");

    private async Task<CrisisRecord> EditableAsync(string id, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        return crisis.Status == CrisisStatus.Archived ? throw new CrisisReadOnlyException(id) : crisis;
    }

    private static string Name(ResponseStatus status) => status == ResponseStatus.InReview ? "in review" : status.ToString().ToLowerInvariant();
}

/// <summary>Canned responses, the agents' side: they find approved ones by name and render them, which counts a use; admins may preview them.</summary>
[RequiresPolicy(Policies.Agent)]
[Tags("Agent: canned responses")]
public sealed class CannedResponsesAgentFunctions(CrisisService crises, CannedResponseStore store, PagePublisher publisher)
{
    /// <summary>Approved responses of a crisis that is not archived, optionally those whose name holds every term of <c>q</c>.</summary>
    [Function("FindCannedResponses")]
    [QueryParameter("q", "search words")]
    public async Task<Results<Ok<RenderedSummaryList>, ProblemHttpResult>> Find(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent/crises/{id}/canned-responses")] HttpRequest request, string id)
    {
        var q = QueryValues.Text(request, "q");
        var cancellationToken = request.HttpContext.RequestAborted;
        if (q is { Length: > 200 } || q is not null && UnicodeText.Problem(q) is not null)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", "q is at most 200 characters of well-formed text.");
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

    /// <summary>Renders an approved response in the asked (or negotiated) language, the crisis page link last, and counts the use (an admin's render is a preview and is not counted).</summary>
    [Function("RenderCannedResponse")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    public async Task<IResult> Render(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent/crises/{id}/canned-responses/{responseId}")] HttpRequest request, string id, string responseId)
    {
        var lang = QueryValues.Text(request, "lang");
        var cancellationToken = request.HttpContext.RequestAborted;
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

        // The crisis' default language can change after a response was approved: it then falls back to its own first language.
        var fallback = response.Snippets.ContainsKey(crisis.DefaultLanguage) ? crisis.DefaultLanguage : response.Snippets.Keys.First();
        var language = Languages.Negotiate(requested, request.Headers.AcceptLanguage, [.. response.Snippets.Keys], fallback);
        var link = publisher.Links(id, language, crisis.PublicPageUrl).Preferred;
        var text = string.Join("\n\n", response.Snippets[language].Select(s => s.Trim())) + "\n\n" + link;
        // An admin rendering a response is checking it, not answering a customer: only agents' renders are uses.
        var uses = request.HttpContext.User.IsInRole(Roles.Admin) ? response.Uses : await store.CountUseAsync(id, responseId, cancellationToken);
        return TypedResults.Ok(new RenderedResponse(response.Id, response.Name, language, Languages.Direction(language), text, link, uses));
    }
}
