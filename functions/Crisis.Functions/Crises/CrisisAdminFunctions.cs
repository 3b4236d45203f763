using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Crises;

public sealed record CrisisList(IReadOnlyList<CrisisRecord> Crises);

public sealed record UpdateList(IReadOnlyList<CrisisUpdate> Updates);

/// <summary>Admin routes for crises: lifecycle, public content, updates and the audit log. Admin role only.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: crises")]
public sealed class CrisisAdminFunctions(CrisisService crises, CrisisStore store, ContentStore contents, TimeProvider time)
{
    /// <summary>
    /// Room for the longest valid crisis or update (ten languages of text at each limit: 25,000 characters) even
    /// when a client writes every character as a \u escape, six bytes each.
    /// </summary>
    private const int MaxCrisisBody = 256 * 1024;
    private const int MaxContentBody = 1024 * 1024;

    [Function("ListCrises")]
    public async Task<Ok<CrisisList>> ListCrises(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises")] HttpRequest request) =>
        TypedResults.Ok(new CrisisList([.. (await store.ListAsync(request.HttpContext.RequestAborted)).OrderByDescending(c => c.CreatedAt)]));

    [Function("CreateCrisis")]
    [JsonBody(typeof(CreateCrisisRequest))]
    public async Task<Results<Created<CrisisRecord>, ValidationProblem, ProblemHttpResult>> CreateCrisis(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<CreateCrisisRequest>(request, MaxCrisisBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var languages = CrisisValidation.NormaliseLanguages(input.Languages);
        var defaultLanguage = Languages.Normalise(input.DefaultLanguage) ?? input.DefaultLanguage;
        var draft = new CrisisRecord
        {
            Id = CrisisIds.New(input.Title.GetValueOrDefault(defaultLanguage) ?? input.Title.Values.FirstOrDefault() ?? ""),
            Title = input.Title,
            Summary = input.Summary,
            Severity = input.Severity,
            DefaultLanguage = defaultLanguage,
            Languages = languages,
            PublicPageUrl = input.PublicPageUrl,
            ExpectedEndAt = input.ExpectedEndAt,
            TimeZone = input.TimeZone ?? Messages.LocalTimes.Utc,
            Status = CrisisStatus.Draft,
            CreatedAt = default,
            UpdatedAt = default,
            Version = 0,
        };
        var validation = CrisisValidation.Validate(draft);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var crisis = await crises.CreateAsync(draft, request.HttpContext.User.Actor(), cancellationToken);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Created($"/api/admin/crises/{crisis.Id}", crisis);
    }

    [Function("GetCrisis")]
    public async Task<Ok<CrisisRecord>> GetCrisis(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var crisis = await crises.GetAsync(id, request.HttpContext.RequestAborted);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    [Function("UpdateCrisis")]
    [JsonBody(typeof(UpdateCrisisRequest), IfMatch = true)]
    public async Task<Results<Ok<CrisisRecord>, ValidationProblem, ProblemHttpResult>> UpdateCrisis(
        [HttpTrigger(AuthorizationLevel.Function, "patch", Route = "admin/crises/{id}")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 'v', out var expected))
        {
            return BadIfMatch('v');
        }

        var body = await JsonBody.ReadAsync<UpdateCrisisRequest>(request, MaxCrisisBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var edit = body.Value!;
        var crisis = await crises.ChangeAsync(id, expected, request.HttpContext.User.Actor(), "crisis.edit", current =>
        {
            var changed = edit.ApplyTo(current);
            var validation = CrisisValidation.Validate(changed);
            CrisisValidation.Promise(validation, "nextUpdateExpectedAt", edit.NextUpdateExpectedAt.Value, time.GetUtcNow());
            return validation.IsValid ? changed : throw new InvalidInputException(validation);
        }, cancellationToken);

        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    [Function("ActivateCrisis")]
    [NoBody(IfMatch = true)]
    public Task<Results<Ok<CrisisRecord>, ProblemHttpResult>> Activate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/activate")] HttpRequest request, string id) =>
        MoveAsync(request, id, CrisisStatus.Active);

    [Function("EndCrisis")]
    [NoBody(IfMatch = true)]
    public Task<Results<Ok<CrisisRecord>, ProblemHttpResult>> End(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/end")] HttpRequest request, string id) =>
        MoveAsync(request, id, CrisisStatus.Ended);

    [Function("ArchiveCrisis")]
    [NoBody(IfMatch = true)]
    public Task<Results<Ok<CrisisRecord>, ProblemHttpResult>> Archive(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/archive")] HttpRequest request, string id) =>
        MoveAsync(request, id, CrisisStatus.Archived);

    [Function("ListCrisisAudit")]
    [QueryParameter("pageSize", "how many per page", IsInteger = true)]
    [QueryParameter("continuation", "the token of the next page, from the previous page")]
    public async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAudit(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/audit")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!QueryValues.TryInt(request, "pageSize", out var pageSize, out var invalid))
        {
            return invalid;
        }

        var continuation = QueryValues.Text(request, "continuation");
        if (pageSize is < 1 or > 200)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid page size", "pageSize must be between 1 and 200.");
        }

        await crises.GetAsync(id, cancellationToken);
        try
        {
            return TypedResults.Ok(await store.AuditPageAsync(id, pageSize ?? 50, continuation, cancellationToken));
        }
        catch (FormatException)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid continuation", "continuation must be a token returned by a previous page.");
        }
    }

    [Function("GetCrisisContent")]
    public async Task<Ok<Versioned<CrisisContent>>> GetContent(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/content")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var crisis = await crises.GetAsync(id, cancellationToken);
        var draft = await contents.GetDraftAsync(id, cancellationToken);
        var document = draft?.Document ?? new Versioned<CrisisContent>(0, crisis.CreatedAt, "", CrisisContent.Empty);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('d', document.Version);
        return TypedResults.Ok(document);
    }

    [Function("SaveCrisisContent")]
    [JsonBody(typeof(CrisisContent), IfMatch = true)]
    public async Task<Results<Ok<Versioned<CrisisContent>>, ValidationProblem, ProblemHttpResult>> SaveContent(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/crises/{id}/content")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 'd', out var expected))
        {
            return BadIfMatch('d');
        }

        var crisis = await crises.GetAsync(id, cancellationToken);
        var body = await JsonBody.ReadAsync<CrisisContent>(request, MaxContentBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = ContentValidation.Validate(body.Value!, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var saved = await crises.SaveContentAsync(id, body.Value!, expected, request.HttpContext.User.Actor(), cancellationToken);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('d', saved.Version);
        return TypedResults.Ok(saved);
    }

    [Function("PublishCrisisContent")]
    [NoBody]
    public async Task<Results<Ok<Versioned<CrisisContent>>, ValidationProblem>> PublishContent(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/content/publish")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var crisis = await crises.GetAsync(id, cancellationToken);
        var draft = await contents.GetDraftAsync(id, cancellationToken) ?? throw new CrisisNotFoundException($"A content draft of crisis {id}");

        // The languages may have changed since the draft was saved: it must still fit the crisis.
        var validation = ContentValidation.Validate(draft.Document.Content, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        return TypedResults.Ok(await crises.PublishContentAsync(id, request.HttpContext.User.Actor(), cancellationToken));
    }

    [Function("ListCrisisUpdates")]
    public async Task<Ok<UpdateList>> ListUpdates(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/updates")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var updates = await store.ListUpdatesAsync(id, cancellationToken);
        return TypedResults.Ok(new UpdateList([.. updates.OrderByDescending(u => u.CreatedAt)]));
    }

    [Function("CreateCrisisUpdate")]
    [JsonBody(typeof(CreateUpdateRequest))]
    public async Task<Results<Created<CrisisUpdate>, ValidationProblem, ProblemHttpResult>> CreateUpdate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/updates")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var crisis = await crises.GetAsync(id, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateUpdateRequest>(request, MaxCrisisBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = CrisisValidation.ValidateUpdate(body.Value!, crisis, time.GetUtcNow());
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var update = await crises.AddUpdateAsync(id, body.Value!.Text, body.Value.NextUpdateExpectedAt, body.Value.Topic, body.Value.Publish, request.HttpContext.User.Actor(), cancellationToken);
        return TypedResults.Created($"/api/admin/crises/{id}/updates/{update.Id}", update);
    }

    [Function("PublishCrisisUpdate")]
    [NoBody]
    public async Task<Ok<CrisisUpdate>> PublishUpdate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/updates/{updateId}/publish")] HttpRequest request, string id, string updateId) =>
        TypedResults.Ok(await crises.PublishUpdateAsync(id, updateId, request.HttpContext.User.Actor(), request.HttpContext.RequestAborted));

    /// <summary>Withdraws a published update (wrong, or superseded): off the page and feed at once, audited with the reason.</summary>
    [Function("RetractCrisisUpdate")]
    [JsonBody(typeof(RetractUpdateRequest), 404)]
    public async Task<Results<Ok<CrisisUpdate>, ValidationProblem, ProblemHttpResult>> RetractUpdate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/updates/{updateId}/retract")] HttpRequest request, string id, string updateId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<RetractUpdateRequest>(request, MaxCrisisBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = new Validation();
        validation.Text("reason", body.Value!.Reason, RetractUpdateRequest.MaxReason);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        return TypedResults.Ok(await crises.RetractUpdateAsync(id, updateId, body.Value.Reason.Trim(), request.HttpContext.User.Actor(), cancellationToken));
    }

    private async Task<Results<Ok<CrisisRecord>, ProblemHttpResult>> MoveAsync(HttpRequest request, string id, CrisisStatus to)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 'v', out var expected))
        {
            return BadIfMatch('v');
        }

        var crisis = await crises.MoveAsync(id, to, expected, request.HttpContext.User.Actor(), request.HttpContext.RequestAborted);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    private static ProblemHttpResult BadIfMatch(char prefix) =>
        Problems.Create(400, Problems.PreconditionFailed, "Invalid If-Match", $"If-Match must be the ETag this resource was read with, e.g. \"{prefix}3\".");
}
