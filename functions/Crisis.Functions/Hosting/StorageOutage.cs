using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Hosting;

/// <summary>The answer to a request that storage could not serve: 503, Retry-After, not cached, the storage-unavailable problem.</summary>
public static class StorageOutage
{
    /// <summary>What clients are told to wait: outages seen here are short (restarts, throttling).</summary>
    public const int RetryAfterSeconds = 5;

    public static ProblemHttpResult Problem(HttpResponse response, string detail, IDictionary<string, object?>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        return Problems.Create(503, Problems.StorageUnavailable, "Storage unavailable", detail, extensions);
    }
}
