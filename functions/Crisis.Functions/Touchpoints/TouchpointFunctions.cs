using System.Security.Claims;
using System.Text.Json;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Touchpoints;

public sealed record TouchpointSummary(Touchpoint Touchpoint, CurrentContent Current);

public sealed record TouchpointList(IReadOnlyList<TouchpointSummary> Touchpoints);

public sealed record TouchpointDetail(Touchpoint Touchpoint, IReadOnlyList<int> NormalVersions, IReadOnlyList<OverrideState> Overrides, CurrentContent Current);

public sealed record RestorePreview(CurrentContent Current, CurrentContent AfterRestore);

public sealed record RestoreResult(string TouchpointId, int Changed);

public static class TouchpointApi
{
    private const int MaxBody = 64 * 1024;

    public static IEndpointRouteBuilder MapTouchpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPublicGroup("/api/touchpoints", PublicApi.ReadPolicy, "Public")
            .MapGet("/{touchpointId}", GetCurrent).AsFunction("GetTouchpoint", FunctionAuthLevel.Anonymous);

        var admin = routes.MapProtectedGroup("/api/admin/touchpoints", AccessServiceCollectionExtensions.AdminPolicy, "Admin: touchpoints");
        admin.MapGet("", List).AsFunction("ListTouchpoints", FunctionAuthLevel.Function);
        admin.MapPost("/restore", RestoreAll).AsFunction("RestoreAllTouchpoints", FunctionAuthLevel.Function);
        admin.MapGet("/{touchpointId}", Get).AsFunction("GetTouchpointDetail", FunctionAuthLevel.Function);
        admin.MapPut("/{touchpointId}", Save).AsFunction("SaveTouchpoint", FunctionAuthLevel.Function);
        admin.MapGet("/{touchpointId}/preview", Preview).AsFunction("PreviewTouchpointRestore", FunctionAuthLevel.Function);
        admin.MapPost("/{touchpointId}/restore", Restore).AsFunction("RestoreTouchpoint", FunctionAuthLevel.Function);
        admin.MapPost("/{touchpointId}/undo-restore", UndoRestore).AsFunction("UndoTouchpointRestore", FunctionAuthLevel.Function);

        routes.AdminCrisesGroup("Admin: touchpoints")
            .MapPut("/{id}/touchpoints/{touchpointId}", SaveOverride).AsFunction("SaveTouchpointOverride", FunctionAuthLevel.Function);
        return routes;
    }

    /// <summary>What a website or email system renders now, with an ETag for cheap polling.</summary>
    public static async Task<IResult> GetCurrent(string touchpointId, [FromQuery] string? lang, TouchpointStore store, CrisisStore crises, IOptions<PublicPagesOptions> pages, CancellationToken cancellationToken)
    {
        if (!TouchpointValidation.IsWellFormedId(touchpointId))
        {
            return Problems.Create(400, Problems.InvalidId, "Invalid id", "'touchpointId' is not a well-formed id.");
        }

        if (!PublicApi.TryReadLanguage(lang, out var language, out var problem))
        {
            return problem!;
        }

        var current = await store.CurrentAsync(touchpointId, language, await crises.ListAsync(cancellationToken), cancellationToken);
        return current is null
            ? Problems.Create(404, Problems.NotFound, "Not found", $"There is no touchpoint '{touchpointId}'.")
            : new CachedDocumentResult(new CachedDocument(JsonSerializer.SerializeToUtf8Bytes(current, JsonBody.Options), "application/json; charset=utf-8"), current.Language, pages.Value.MaxAgeSeconds);
    }

    public static async Task<Ok<TouchpointList>> List(TouchpointStore store, CrisisStore crises, CancellationToken cancellationToken)
    {
        var all = await crises.ListAsync(cancellationToken);
        var list = new List<TouchpointSummary>();
        foreach (var touchpoint in (await store.ListAsync(cancellationToken)).OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            list.Add(new TouchpointSummary(touchpoint, (await store.CurrentAsync(touchpoint.Id, null, all, cancellationToken))!));
        }

        return TypedResults.Ok(new TouchpointList(list));
    }

    public static async Task<Results<Ok<TouchpointDetail>, ProblemHttpResult>> Get(string touchpointId, TouchpointStore store, CrisisStore crises, CancellationToken cancellationToken)
    {
        var touchpoint = await store.GetAsync(touchpointId, cancellationToken);
        if (touchpoint is null)
        {
            return NotFound(touchpointId);
        }

        return TypedResults.Ok(new TouchpointDetail(touchpoint, await store.NormalVersionsAsync(touchpointId, cancellationToken),
            await store.OverridesAsync(touchpointId, cancellationToken), (await store.CurrentAsync(touchpointId, null, await crises.ListAsync(cancellationToken), cancellationToken))!));
    }

    public static async Task<Results<Ok<Versioned<Touchpoint>>, ValidationProblem, ProblemHttpResult>> Save(
        string touchpointId, HttpRequest request, ClaimsPrincipal user, TouchpointStore store, CancellationToken cancellationToken)
    {
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
        return TypedResults.Ok(await store.SaveAsync(new Touchpoint(touchpointId, input.Kind, input.Name.Trim(), input.DefaultLanguage, input.Normal), user.Actor(), cancellationToken));
    }

    public static async Task<Results<Ok<Versioned<Dictionary<string, string>>>, ValidationProblem, ProblemHttpResult>> SaveOverride(
        string id, string touchpointId, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CrisisStore audit, TouchpointStore store, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
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
        await audit.AuditAsync(id, user.Actor(), "touchpoint.override", null, $"{touchpointId}: override version {saved.Version}", cancellationToken);
        return TypedResults.Ok(saved);
    }

    public static async Task<Results<Ok<RestorePreview>, ProblemHttpResult>> Preview(string touchpointId, TouchpointStore store, CrisisStore crises, CancellationToken cancellationToken)
    {
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

    public static async Task<Results<Ok<RestoreResult>, ProblemHttpResult>> Restore(string touchpointId, ClaimsPrincipal user, TouchpointStore store, TouchpointRestorer restorer, CancellationToken cancellationToken) =>
        await store.GetAsync(touchpointId, cancellationToken) is null
            ? NotFound(touchpointId)
            : TypedResults.Ok(new RestoreResult(touchpointId, await restorer.RestoreAsync(touchpointId, user.Actor(), cancellationToken)));

    public static async Task<Ok<RestoreResult>> RestoreAll(ClaimsPrincipal user, TouchpointStore store, TouchpointRestorer restorer, CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var touchpoint in await store.ListAsync(cancellationToken))
        {
            changed += await restorer.RestoreAsync(touchpoint.Id, user.Actor(), cancellationToken);
        }

        return TypedResults.Ok(new RestoreResult("*", changed));
    }

    public static async Task<Results<Ok<RestoreResult>, ProblemHttpResult>> UndoRestore(string touchpointId, ClaimsPrincipal user, TouchpointStore store, TouchpointRestorer restorer, CancellationToken cancellationToken) =>
        await store.GetAsync(touchpointId, cancellationToken) is null
            ? NotFound(touchpointId)
            : TypedResults.Ok(new RestoreResult(touchpointId, await restorer.UndoRestoreAsync(touchpointId, user.Actor(), cancellationToken)));

    private static ProblemHttpResult NotFound(string touchpointId) =>
        Problems.Create(404, Problems.NotFound, "Not found", $"There is no touchpoint '{touchpointId}'.");
}
