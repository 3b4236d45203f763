using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Crisis.Functions.Hosting;

/// <summary>
/// Any request that storage could not serve, whatever the route, answers 503 with <c>Retry-After</c> and the
/// project's problem type, instead of a 500: the client did nothing wrong and should simply try again.
/// </summary>
public sealed class StorageOutageHandler(IProblemDetailsService problems, ILogger<StorageOutageHandler> logger) : IExceptionHandler
{
    /// <summary>What clients are told to wait: storage outages seen here are short (restarts, throttling).</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not StorageUnavailableException unavailable || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(unavailable, "Storage unavailable while serving {Method} {Route}", httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        httpContext.Response.Headers.CacheControl = "no-store";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = Problems.StorageUnavailable,
                Title = "Storage unavailable",
                Detail = $"Storage did not answer. Try again in {RetryAfterSeconds} seconds.",
            },
        });
    }
}
