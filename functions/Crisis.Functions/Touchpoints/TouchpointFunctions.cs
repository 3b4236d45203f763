using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Touchpoints;

public sealed record TouchpointSummary(Touchpoint Touchpoint, CurrentContent Current);

public sealed record TouchpointList(IReadOnlyList<TouchpointSummary> Touchpoints);

public sealed record TouchpointDetail(Touchpoint Touchpoint, IReadOnlyList<int> NormalVersions, IReadOnlyList<OverrideState> Overrides, CurrentContent Current);

public sealed record RestorePreview(CurrentContent Current, CurrentContent AfterRestore);

public sealed record RestoreResult(string TouchpointId, int Changed);

/// <summary>What a website or email system shows at a touchpoint now: its normal content, or a crisis's override.</summary>
[Public(PublicApi.ReadPolicy)]
[Tags("Public")]
public sealed class TouchpointPublicFunctions(TouchpointPublisher publisher, IOptions<PublicPagesOptions> pages)
{
    /// <summary>
    /// What a website or email system renders now, from memory, with a strong ETag for cheap polling. Readable from
    /// any site (CORS, no credentials): the embeddable banner reads it from the organisation's own pages.
    /// </summary>
    [Function("GetTouchpoint")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType<PublicTouchpoint>(200, "application/json")]
    [ProducesResponseType(304)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public async Task<IResult> GetCurrent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "touchpoints/{touchpointId}")] HttpRequest request, string touchpointId)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.HttpContext.Response.Headers.AccessControlAllowOrigin = "*";
        var (view, language, problem) = await FindAsync(request, touchpointId);
        if (problem is not null)
        {
            return problem;
        }

        return new CachedDocumentResult(view!.Json(language!), language, pages.Value.MaxAgeSeconds, publisher.IsStale(touchpointId));
    }

    /// <summary>
    /// The banner script for an organisation's site: <c>&lt;script async src=".../api/embed.js" data-touchpoint="home-banner"&gt;</c>.
    /// It reads the touchpoint in the visitor's language and shows its text while a crisis overrides it.
    /// </summary>
    [Function("GetTouchpointEmbedScript")]
    [ProducesResponseType(typeof(void), 200, "text/javascript")]
    [ProducesResponseType(304)]
    public IResult GetEmbedScript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "embed.js")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.HttpContext.Response.Headers.AccessControlAllowOrigin = "*";
        request.HttpContext.Response.Headers.XContentTypeOptions = "nosniff";
        return new CachedDocumentResult(TouchpointEmbed.Script, null, pages.Value.MaxAgeSeconds, varyByLanguage: false);
    }

    /// <summary>
    /// The banner as a page to frame, for visitors without script (<c>&lt;iframe src=".../embed.html"&gt;</c>): the
    /// touchpoint's crisis text in the visitor's language with a link to the public page and a dismiss button, or an
    /// empty page when no crisis overrides it or the visitor dismissed the version showing.
    /// </summary>
    [Function("GetTouchpointEmbedPage")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [QueryParameter(TouchpointEmbed.DismissedParameter, "the version the visitor dismissed (the dismiss button's form): an empty page while that version shows")]
    [ProducesResponseType(typeof(void), 200, "text/html")]
    [ProducesResponseType(304)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public async Task<IResult> GetEmbedPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "touchpoints/{touchpointId}/embed.html")] HttpRequest request, string touchpointId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (view, language, problem) = await FindAsync(request, touchpointId);
        if (problem is not null)
        {
            return problem;
        }

        var headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = TouchpointEmbed.FrameContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        return new CachedDocumentResult(view!.Frame(language!, QueryValues.Text(request, TouchpointEmbed.DismissedParameter)), language, pages.Value.MaxAgeSeconds, publisher.IsStale(touchpointId));
    }

    /// <summary>The published touchpoint and the language to answer in (?lang=, else Accept-Language, among its texts); else the problem.</summary>
    private async Task<(TouchpointView? View, string? Language, IResult? Problem)> FindAsync(HttpRequest request, string touchpointId)
    {
        if (!TouchpointValidation.IsWellFormedId(touchpointId))
        {
            return (null, null, Problems.Create(400, Problems.InvalidId, "Invalid id", "'touchpointId' is not a well-formed id."));
        }

        if (!PublicApi.TryReadLanguage(QueryValues.Text(request, "lang"), out var requested, out var problem))
        {
            return (null, null, problem!);
        }

        return await publisher.GetAsync(touchpointId, request.HttpContext.RequestAborted) is { } view
            ? (view, view.Negotiate(requested, request.Headers.AcceptLanguage.ToString()), null)
            : (null, null, Problems.Create(404, Problems.NotFound, "Not found", $"There is no touchpoint '{touchpointId}'."));
    }
}

/// <summary>Touchpoints as admins manage them: normal content, a crisis's overrides, and restoring normal content after a crisis.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: touchpoints")]
public sealed class TouchpointAdminFunctions(TouchpointStore store, CrisisStore crises, CrisisService crisisService, TouchpointRestorer restorer, TouchpointPublisher publisher)
{
    private const int MaxBody = 64 * 1024;

    [Function("ListTouchpoints")]
    public async Task<Ok<TouchpointList>> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/touchpoints")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var all = await crises.ListAsync(cancellationToken);
        var list = new List<TouchpointSummary>();
        foreach (var touchpoint in (await store.ListAsync(cancellationToken)).OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            list.Add(new TouchpointSummary(touchpoint, (await store.CurrentAsync(touchpoint.Id, null, all, cancellationToken))!));
        }

        return TypedResults.Ok(new TouchpointList(list));
    }

    [Function("GetTouchpointDetail")]
    public async Task<Results<Ok<TouchpointDetail>, ProblemHttpResult>> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/touchpoints/{touchpointId}")] HttpRequest request, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var touchpoint = await store.GetAsync(touchpointId, cancellationToken);
        if (touchpoint is null)
        {
            return NotFound(touchpointId);
        }

        return TypedResults.Ok(new TouchpointDetail(touchpoint, await store.NormalVersionsAsync(touchpointId, cancellationToken),
            await store.OverridesAsync(touchpointId, cancellationToken), (await store.CurrentAsync(touchpointId, null, await crises.ListAsync(cancellationToken), cancellationToken))!));
    }

    [Function("SaveTouchpoint")]
    [JsonBody(typeof(TouchpointRequest))]
    public async Task<Results<Ok<Versioned<Touchpoint>>, ValidationProblem, ProblemHttpResult>> Save(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/touchpoints/{touchpointId}")] HttpRequest request, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!TouchpointValidation.IsWellFormedId(touchpointId))
        {
            return Problems.Create(400, Problems.InvalidId, "Invalid id", "A touchpoint id is 1-40 lowercase letters, digits or '-'.");
        }

        var body = await JsonBody.ReadAsync<TouchpointRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = TouchpointValidation.Validate(body.Value!);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var input = body.Value!;
        var saved = await store.SaveAsync(new Touchpoint(touchpointId, input.Kind, input.Name.Trim(), input.DefaultLanguage, input.Normal), request.HttpContext.User.Actor(), cancellationToken);
        await publisher.PublishAsync(touchpointId, cancellationToken);
        return TypedResults.Ok(saved);
    }

    [Function("SaveTouchpointOverride")]
    [JsonBody(typeof(OverrideRequest))]
    public async Task<Results<Ok<Versioned<Dictionary<string, string>>>, ValidationProblem, ProblemHttpResult>> SaveOverride(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/crises/{id}/touchpoints/{touchpointId}")] HttpRequest request, string id, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var user = request.HttpContext.User;
        var crisis = await crisisService.GetAsync(id, cancellationToken);
        if (crisis.Status is not (CrisisStatus.Draft or CrisisStatus.Active))
        {
            return Problems.Create(409, Problems.Conflict, "Crisis is over", $"Crisis {id} is {crisis.Status.ToString().ToLowerInvariant()}; it can no longer override touchpoints.");
        }

        if (await store.GetAsync(touchpointId, cancellationToken) is null)
        {
            return NotFound(touchpointId);
        }

        var body = await JsonBody.ReadAsync<OverrideRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = new Validation();
        validation.Localised("text", body.Value!.Text, crisis.Languages, crisis.DefaultLanguage, TouchpointValidation.MaxText);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var saved = await store.SaveOverrideAsync(touchpointId, id, body.Value.Text, user.Actor(), cancellationToken);
        await publisher.PublishAsync(touchpointId, cancellationToken);
        await crises.AuditAsync(id, user.Actor(), "touchpoint.override", null, $"{touchpointId}: override version {saved.Version}", cancellationToken);
        return TypedResults.Ok(saved);
    }

    [Function("PreviewTouchpointRestore")]
    public async Task<Results<Ok<RestorePreview>, ProblemHttpResult>> Preview(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/touchpoints/{touchpointId}/preview")] HttpRequest request, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var all = await crises.ListAsync(cancellationToken);
        var current = await store.CurrentAsync(touchpointId, null, all, cancellationToken);
        if (current is null)
        {
            return NotFound(touchpointId);
        }

        // After a restore no override is in force: what shows is what would show with no active crisis.
        var after = await store.CurrentAsync(touchpointId, null, [.. all.Where(c => c.Status != CrisisStatus.Active)], cancellationToken);
        return TypedResults.Ok(new RestorePreview(current, after!));
    }

    [Function("RestoreTouchpoint")]
    [NoBody]
    public async Task<Results<Ok<RestoreResult>, ProblemHttpResult>> Restore(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/touchpoints/{touchpointId}/restore")] HttpRequest request, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        return await store.GetAsync(touchpointId, cancellationToken) is null
            ? NotFound(touchpointId)
            : TypedResults.Ok(new RestoreResult(touchpointId, await restorer.RestoreAsync(touchpointId, request.HttpContext.User.Actor(), cancellationToken)));
    }

    [Function("RestoreAllTouchpoints")]
    [NoBody]
    public async Task<Ok<RestoreResult>> RestoreAll(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/touchpoints/restore")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var changed = 0;
        foreach (var touchpoint in await store.ListAsync(cancellationToken))
        {
            changed += await restorer.RestoreAsync(touchpoint.Id, request.HttpContext.User.Actor(), cancellationToken);
        }

        return TypedResults.Ok(new RestoreResult("*", changed));
    }

    [Function("UndoTouchpointRestore")]
    [NoBody]
    public async Task<Results<Ok<RestoreResult>, ProblemHttpResult>> UndoRestore(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/touchpoints/{touchpointId}/undo-restore")] HttpRequest request, string touchpointId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        return await store.GetAsync(touchpointId, cancellationToken) is null
            ? NotFound(touchpointId)
            : TypedResults.Ok(new RestoreResult(touchpointId, await restorer.UndoRestoreAsync(touchpointId, request.HttpContext.User.Actor(), cancellationToken)));
    }

    private static ProblemHttpResult NotFound(string touchpointId) =>
        Problems.Create(404, Problems.NotFound, "Not found", $"There is no touchpoint '{touchpointId}'.");
}
