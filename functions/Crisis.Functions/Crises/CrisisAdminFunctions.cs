using System.Security.Claims;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Crisis.Functions.Crises;

public sealed record CrisisList(IReadOnlyList<CrisisRecord> Crises);

public sealed record UpdateList(IReadOnlyList<CrisisUpdate> Updates);

/// <summary>Admin routes for crises: lifecycle, public content, updates and the audit log. Admin role only.</summary>
public static class CrisisAdminApi
{
    private const int MaxCrisisBody = 64 * 1024;
    private const int MaxContentBody = 1024 * 1024;

    /// <summary>The admin routes below /api/admin/crises: admin role, well-formed ids, crisis errors as problems.</summary>
    public static RouteGroupBuilder AdminCrisesGroup(this IEndpointRouteBuilder routes, string tag) =>
        routes.MapProtectedGroup("/api/admin/crises", AccessServiceCollectionExtensions.AdminPolicy, tag);

    public static RouteGroupBuilder MapCrisisAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.AdminCrisesGroup("Admin: crises");

        group.MapGet("", ListCrises).AsFunction("ListCrises", FunctionAuthLevel.Function);
        group.MapPost("", CreateCrisis).AsFunction("CreateCrisis", FunctionAuthLevel.Function);
        group.MapGet("/{id}", GetCrisis).AsFunction("GetCrisis", FunctionAuthLevel.Function);
        group.MapPatch("/{id}", UpdateCrisis).AsFunction("UpdateCrisis", FunctionAuthLevel.Function);
        group.MapPost("/{id}/activate", (string id, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CancellationToken ct) =>
            Move(id, CrisisStatus.Active, request, user, crises, ct)).AsFunction("ActivateCrisis", FunctionAuthLevel.Function);
        group.MapPost("/{id}/end", (string id, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CancellationToken ct) =>
            Move(id, CrisisStatus.Ended, request, user, crises, ct)).AsFunction("EndCrisis", FunctionAuthLevel.Function);
        group.MapPost("/{id}/archive", (string id, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CancellationToken ct) =>
            Move(id, CrisisStatus.Archived, request, user, crises, ct)).AsFunction("ArchiveCrisis", FunctionAuthLevel.Function);
        group.MapGet("/{id}/audit", ListAudit).AsFunction("ListCrisisAudit", FunctionAuthLevel.Function);
        group.MapGet("/{id}/content", GetContent).AsFunction("GetCrisisContent", FunctionAuthLevel.Function);
        group.MapPut("/{id}/content", SaveContent).AsFunction("SaveCrisisContent", FunctionAuthLevel.Function);
        group.MapPost("/{id}/content/publish", PublishContent).AsFunction("PublishCrisisContent", FunctionAuthLevel.Function);
        group.MapGet("/{id}/updates", ListUpdates).AsFunction("ListCrisisUpdates", FunctionAuthLevel.Function);
        group.MapPost("/{id}/updates", CreateUpdate).AsFunction("CreateCrisisUpdate", FunctionAuthLevel.Function);
        group.MapPost("/{id}/updates/{updateId}/publish", PublishUpdate).AsFunction("PublishCrisisUpdate", FunctionAuthLevel.Function);
        return group;
    }

    public static async Task<Ok<CrisisList>> ListCrises(CrisisStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new CrisisList([.. (await store.ListAsync(cancellationToken)).OrderByDescending(c => c.CreatedAt)]));

    public static async Task<Results<Created<CrisisRecord>, ValidationProblem, ProblemHttpResult>> CreateCrisis(
        HttpRequest request, HttpResponse response, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken)
    {
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

        var crisis = await crises.CreateAsync(draft, user.Actor(), cancellationToken);
        response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Created($"/api/admin/crises/{crisis.Id}", crisis);
    }

    public static async Task<Ok<CrisisRecord>> GetCrisis(string id, HttpResponse response, CrisisService crises, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    public static async Task<Results<Ok<CrisisRecord>, ValidationProblem, ProblemHttpResult>> UpdateCrisis(
        string id, HttpRequest request, HttpResponse response, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken)
    {
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
        var crisis = await crises.ChangeAsync(id, expected, user.Actor(), "crisis.edit", current =>
        {
            var changed = current with
            {
                Title = edit.Title ?? current.Title,
                Summary = edit.Summary ?? current.Summary,
                Severity = edit.Severity ?? current.Severity,
                DefaultLanguage = edit.DefaultLanguage is null ? current.DefaultLanguage : Languages.Normalise(edit.DefaultLanguage) ?? edit.DefaultLanguage,
                Languages = edit.Languages is null ? current.Languages : CrisisValidation.NormaliseLanguages(edit.Languages),
                PublicPageUrl = edit.PublicPageUrl ?? current.PublicPageUrl,
                ExpectedEndAt = edit.ExpectedEndAt ?? current.ExpectedEndAt,
            };
            var validation = CrisisValidation.Validate(changed);
            return validation.IsValid ? changed : throw new InvalidInputException(validation);
        }, cancellationToken);

        response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    public static async Task<Results<Ok<CrisisRecord>, ProblemHttpResult>> Move(
        string id, CrisisStatus to, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken)
    {
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 'v', out var expected))
        {
            return BadIfMatch('v');
        }

        var crisis = await crises.MoveAsync(id, to, expected, user.Actor(), cancellationToken);
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('v', crisis.Version);
        return TypedResults.Ok(crisis);
    }

    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAudit(
        string id, [FromQuery] int? pageSize, [FromQuery] string? continuation, CrisisService crises, CrisisStore store, CancellationToken cancellationToken)
    {
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

    public static async Task<Ok<Versioned<CrisisContent>>> GetContent(string id, HttpResponse response, CrisisService crises, ContentStore contents, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        var draft = await contents.GetDraftAsync(id, cancellationToken);
        var document = draft?.Document ?? new Versioned<CrisisContent>(0, crisis.CreatedAt, "", CrisisContent.Empty);
        response.Headers.ETag = CrisisService.ETagOf('d', document.Version);
        return TypedResults.Ok(document);
    }

    public static async Task<Results<Ok<Versioned<CrisisContent>>, ValidationProblem, ProblemHttpResult>> SaveContent(
        string id, HttpRequest request, HttpResponse response, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken)
    {
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

        var saved = await crises.SaveContentAsync(id, body.Value!, expected, user.Actor(), cancellationToken);
        response.Headers.ETag = CrisisService.ETagOf('d', saved.Version);
        return TypedResults.Ok(saved);
    }

    public static async Task<Results<Ok<Versioned<CrisisContent>>, ValidationProblem>> PublishContent(
        string id, ClaimsPrincipal user, CrisisService crises, ContentStore contents, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        var draft = await contents.GetDraftAsync(id, cancellationToken) ?? throw new CrisisNotFoundException($"A content draft of crisis {id}");

        // The languages may have changed since the draft was saved: it must still fit the crisis.
        var validation = ContentValidation.Validate(draft.Document.Content, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        return TypedResults.Ok(await crises.PublishContentAsync(id, user.Actor(), cancellationToken));
    }

    public static async Task<Ok<UpdateList>> ListUpdates(string id, CrisisService crises, CrisisStore store, CancellationToken cancellationToken)
    {
        await crises.GetAsync(id, cancellationToken);
        var updates = await store.ListUpdatesAsync(id, cancellationToken);
        return TypedResults.Ok(new UpdateList([.. updates.OrderByDescending(u => u.CreatedAt)]));
    }

    public static async Task<Results<Created<CrisisUpdate>, ValidationProblem, ProblemHttpResult>> CreateUpdate(
        string id, HttpRequest request, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken)
    {
        var crisis = await crises.GetAsync(id, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateUpdateRequest>(request, MaxCrisisBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = CrisisValidation.ValidateUpdate(body.Value!, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var update = await crises.AddUpdateAsync(id, body.Value!.Text, body.Value.NextUpdateExpectedAt, body.Value.Topic, body.Value.Publish, user.Actor(), cancellationToken);
        return TypedResults.Created($"/api/admin/crises/{id}/updates/{update.Id}", update);
    }

    public static async Task<Ok<CrisisUpdate>> PublishUpdate(string id, string updateId, ClaimsPrincipal user, CrisisService crises, CancellationToken cancellationToken) =>
        TypedResults.Ok(await crises.PublishUpdateAsync(id, updateId, user.Actor(), cancellationToken));

    private static ProblemHttpResult BadIfMatch(char prefix) =>
        Problems.Create(400, Problems.PreconditionFailed, "Invalid If-Match", $"If-Match must be the ETag this resource was read with, e.g. \"{prefix}3\".");
}
