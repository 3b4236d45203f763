using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Health;

public sealed record HealthReport(string Status, IReadOnlyDictionary<string, string> Storage, DateTimeOffset? LastHeartbeatAt);

/// <summary>Whether the app can reach its storage, and when a timer last ran: for probes and people alike.</summary>
[Public]
[Tags("Health")]
public sealed class HealthFunctions(CrisisStorage storage, ILogger<HealthFunctions> logger)
{
    /// <summary>How long the health check waits for storage before calling it unreachable.</summary>
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Liveness without storage: the worker answers. Load balancers and the benchmarks' bare baseline use it.</summary>
    [Function("Ping")]
    [EndpointSummary("Liveness: 204 while the worker runs, whatever storage does.")]
    public static NoContent Ping([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ping")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.NoContent();
    }

    /// <summary>Rate-limited like the public reads: each call reaches storage, so it must not amplify a flood.</summary>
    [Function("Health")]
    [Public(PublicApi.ReadPolicy)]
    [EndpointSummary("Storage reachability and the last timer heartbeat; 503 when storage is unreachable.")]
    public async Task<Results<Ok<HealthReport>, ProblemHttpResult>> GetHealth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.HttpContext.Response;
        var cancellationToken = request.HttpContext.RequestAborted;
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
                heartbeat?.GetDateTimeOffset("LastRunAt")));
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The reason (and with it the storage endpoint) goes to the log only: anonymous callers learn "unhealthy".
            logger.LogWarning(e, "Health check: storage unreachable");
            return StorageOutage.Problem(response, "unhealthy: storage did not answer.", new Dictionary<string, object?> { ["health"] = "unhealthy" });
        }
    }
}
