using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Health;

public sealed record HealthReport(string Status, IReadOnlyDictionary<string, string> Storage, DateTimeOffset? LastHeartbeatAt, string? LastHeartbeatTrigger);

public static class HealthApi
{
    /// <summary>How long the health check waits for storage before calling it unreachable.</summary>
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(4);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/health", GetHealth)
            .AsFunction("Health", FunctionAuthLevel.Anonymous)
            .WithTags("Health")
            .WithSummary("Storage reachability and the last timer heartbeat; 503 when storage is unreachable.");
        return routes;
    }

    public static async Task<Results<Ok<HealthReport>, ProblemHttpResult>> GetHealth(
        CrisisStorage storage, ILoggerFactory loggers, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.CacheControl = "no-store";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StorageTimeout);
        try
        {
            var table = await storage.TableAsync(HeartbeatTimer.Table, timeout.Token);
            var heartbeat = await table.FindAsync(HeartbeatTimer.PartitionKey, HeartbeatTimer.FunctionName, cancellationToken: timeout.Token);
            await storage.BlobService.GetBlobContainerClient(storage.ContainerName(PagePublisher.ContainerName)).ExistsCheckedAsync(timeout.Token);
            return TypedResults.Ok(new HealthReport(
                "healthy",
                new Dictionary<string, string> { ["tables"] = "reachable", ["blobs"] = "reachable" },
                heartbeat?.GetDateTimeOffset("LastRunAt"),
                heartbeat?.GetString("Trigger")));
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The reason (and with it the storage endpoint) goes to the log only: anonymous callers learn "unhealthy".
            loggers.CreateLogger(typeof(HealthApi)).LogWarning(e, "Health check: storage unreachable");
            response.Headers.RetryAfter = StorageOutageHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Create(
                503,
                Problems.StorageUnavailable,
                "Storage unavailable",
                "unhealthy: storage did not answer.",
                new Dictionary<string, object?> { ["health"] = "unhealthy" });
        }
    }
}
