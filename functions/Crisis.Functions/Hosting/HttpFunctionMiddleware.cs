using Crisis.Functions.Access;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Crisis.Functions.Hosting;

/// <summary>
/// What every HTTP function needs before and after it runs, in one place: well-formed route ids, the caller's
/// credential and role (<see cref="RequiresPolicyAttribute"/>) or the per-client rate limit of an anonymous
/// function (<see cref="PublicAttribute"/>), the headers of pages reached from links (<see cref="LinkPageAttribute"/>), and RFC 9457 problems for what operations refuse (a missing crisis,
/// an illegal transition) and for storage outages (503 with Retry-After). It runs inside the ASP.NET Core
/// integration, which executes the <see cref="IResult"/> left as the invocation's result.
/// </summary>
public sealed class HttpFunctionMiddleware(IAuthorizationService authorization, RateLimits limits, ILogger<HttpFunctionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.GetHttpContext();
        if (http is null || !FunctionCatalog.Http.TryGetValue(context.FunctionDefinition.Name, out var function))
        {
            await next(context);
            return;
        }

        // No answer is ever sniffed into another type: JSON, Atom, pages and problems alike.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (RouteIds.Problem(http.Request.RouteValues) is { } invalid)
        {
            Answer(context, invalid);
            return;
        }

        if (function.Policy is { } policy)
        {
            var authenticated = await http.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
            if (!authenticated.Succeeded)
            {
                await http.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);
                return;
            }

            http.User = authenticated.Principal;
            if (!(await authorization.AuthorizeAsync(http.User, policy)).Succeeded)
            {
                await http.ForbidAsync(ApiKeyAuthenticationHandler.SchemeName);
                return;
            }
        }

        using var lease = function.RateLimitPolicy is { } limit ? await limits.AcquireAsync(limit, http) : null;
        if (lease is { IsAcquired: false })
        {
            Answer(context, RateLimits.Rejected(lease, function, http.Request));
            return;
        }

        if (function.IsLinkPage)
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = Pages.HtmlPage.ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-store";

            // The token is in the URL: no page it leads to, and no resource it loads, learns it from the referrer.
            headers["Referrer-Policy"] = "no-referrer";
        }

        try
        {
            await next(context);
        }
        catch (Exception e) when (ToProblem(e, http) is { } problem)
        {
            Answer(context, problem);
        }
    }

    private IResult? ToProblem(Exception exception, HttpContext http)
    {
        var cause = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
        if (CrisisProblems.ToProblem(cause) is { } refused)
        {
            return refused;
        }

        if (cause is BadHttpRequestException badRequest)
        {
            // The client's fault (a body cut short, or arriving too slowly): said to it, logged without a stack.
            logger.LogInformation("Request {Method} {Path} refused while reading it: {Reason}", http.Request.Method, http.Request.Path, badRequest.Message);
            return Problems.Create(badRequest.StatusCode is >= 400 and < 500 ? badRequest.StatusCode : 400, Problems.InvalidJson, "Incomplete request", "The request body did not arrive whole; nothing was changed.");
        }

        if (cause is RequestBodyTooLargeException bodyTooLarge)
        {
            return Problems.Create(413, Problems.PayloadTooLarge, "Request body too large", bodyTooLarge.Message);
        }

        if (cause is DocumentTooLargeException tooLarge)
        {
            // Checked before anything is written: the input was too big in total, though each field was within its limit.
            return Problems.Create(413, Problems.PayloadTooLarge, "Too large to store", $"{tooLarge.Message} Send shorter texts or fewer languages.");
        }

        if (cause is StorageUnavailableException unavailable)
        {
            logger.LogWarning(unavailable, "Storage unavailable while serving {Method} {Path}", http.Request.Method, http.Request.Path);
            return StorageOutage.Problem(http.Response, $"Storage did not answer. Try again in {StorageOutage.RetryAfterSeconds} seconds.");
        }

        if (cause is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            return null;
        }

        // Anything else is a defect: the caller learns only that, the log gets the details.
        logger.LogError(cause, "Function failed while serving {Method} {Path}", http.Request.Method, http.Request.Path);
        return Problems.Create(500, Problems.InternalError, "Internal error", "The request could not be completed; it has been logged.");
    }

    private static void Answer(FunctionContext context, IResult result) => context.GetInvocationResult().Value = result;
}
