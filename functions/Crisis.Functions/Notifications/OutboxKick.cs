using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

/// <summary>Something that puts messages into the outbox in the background, before a dispatch (the subscriber fan-out).</summary>
public interface IOutboxFeeder
{
    Task FeedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Starts sending right away, in the background, after a change that queued messages (or will, through a
/// feeder): feed, then send until nothing is due. The timers send whatever this misses. One pump per
/// instance; a request that arrives while it runs makes it go round once more.
/// </summary>
public sealed class OutboxKick(Outbox outbox, IEnumerable<IOutboxFeeder> feeders, IOptions<OutboxOptions> options, IHostApplicationLifetime lifetime, ILogger<OutboxKick> logger)
{
    private int _requests;

    public void Dispatch()
    {
        if (!options.Value.SendInBackground || Interlocked.Increment(ref _requests) > 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var stopping = lifetime.ApplicationStopping;
            do
            {
                Volatile.Write(ref _requests, 1);
                try
                {
                    foreach (var feeder in feeders)
                    {
                        await feeder.FeedAsync(stopping);
                    }

                    DispatchResult sent;
                    do
                    {
                        sent = await outbox.DispatchAsync(1000, stopping);
                    }
                    while (sent.Sent + sent.Failed > 0 && !stopping.IsCancellationRequested);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogWarning(e, "Background outbox run failed; the timers will retry");
                }
            }
            while (Interlocked.Decrement(ref _requests) > 0 && !stopping.IsCancellationRequested);
        });
    }
}
