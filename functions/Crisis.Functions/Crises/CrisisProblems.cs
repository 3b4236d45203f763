using Crisis.Functions.Common;
using Crisis.Functions.Hosting;

namespace Crisis.Functions.Crises;

/// <summary>Input found invalid deep inside an operation (after reading current state): nothing was written.</summary>
public sealed class InvalidInputException(Validation validation) : Exception("The input is invalid.")
{
    public Validation Validation { get; } = validation;
}

/// <summary>Turns what crisis operations refuse into RFC 9457 problems, for every route of a group.</summary>
public static class CrisisProblems
{
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (CrisisNotFoundException e)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", e.Message);
        }
        catch (IllegalTransitionException e)
        {
            return Problems.Create(409, Problems.IllegalTransition, "Illegal lifecycle transition", e.Message,
                new Dictionary<string, object?> { ["from"] = e.From.ToString().ToLowerInvariant(), ["to"] = e.To.ToString().ToLowerInvariant() });
        }
        catch (CrisisReadOnlyException e)
        {
            return Problems.Create(409, Problems.Conflict, "Crisis is archived", e.Message);
        }
        catch (VersionMismatchException e)
        {
            return Problems.Create(412, Problems.PreconditionFailed, "Changed by someone else", e.Message);
        }
        catch (InvalidInputException e)
        {
            return e.Validation.ToProblem();
        }
    }
}

public static class RouteGroups
{
    /// <summary>
    /// A group of routes needing a credential with <paramref name="policy"/>: ids checked before any storage
    /// call, crisis errors answered as problems, 401/403 described in OpenAPI.
    /// </summary>
    public static RouteGroupBuilder MapProtectedGroup(this IEndpointRouteBuilder routes, string prefix, string policy, string tag) =>
        routes.MapGroup(prefix)
            .RequireAuthorization(policy)
            .AddEndpointFilter(RouteIds.Filter)
            .AddEndpointFilter(CrisisProblems.Filter)
            .WithTags(tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>A group of anonymous routes under a per-client rate limit, with ids checked and crisis errors answered as problems.</summary>
    public static RouteGroupBuilder MapPublicGroup(this IEndpointRouteBuilder routes, string prefix, string rateLimitPolicy, string tag) =>
        routes.MapGroup(prefix)
            .AllowAnonymous()
            .RequireRateLimiting(rateLimitPolicy)
            .AddEndpointFilter(RouteIds.Filter)
            .AddEndpointFilter(CrisisProblems.Filter)
            .WithTags(tag)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
}

/// <summary>Refuses route ids that cannot name anything (quotes, slashes, control characters, overlong) before any storage call.</summary>
public static class RouteIds
{
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            var text = value as string;
            var valid = name == "id" ? CrisisIds.IsWellFormed(text) : CrisisIds.IsWellFormedChild(text);
            if (!valid)
            {
                return ValueTask.FromResult<object?>(Problems.Create(400, Problems.InvalidId, "Invalid id", $"'{name}' is not a well-formed id."));
            }
        }

        return next(context);
    }
}
