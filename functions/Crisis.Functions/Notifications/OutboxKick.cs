using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

/// <summary>Something that puts messages into the outbox in the background, before a dispatch (the subscriber fan-out).</summary>
public interface IOutboxFeeder
{
    Task FeedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Starts sending right away, in the background, after a change that queued messages (or will, through a
/// feeder): feed and send at once (what a feeder has queued is sent while it queues the rest), then send until
/// nothing is due. The timers send whatever this misses. One pump per instance; a request that arrives while it
/// runs makes it go round once more.
/// </summary>
public sealed class OutboxKick(Outbox outbox, IEnumerable<IOutboxFeeder> feeders, IOptions<OutboxOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<OutboxKick> logger)
{
    /// <summary>Messages one dispatch round sends at most before the pump looks again.</summary>
    public const int RoundSize = 10_000;

    /// <summary>How long the pump waits for a feeder to queue more when a round found nothing to send.</summary>
    private static readonly TimeSpan FeedWait = TimeSpan.FromMilliseconds(200);

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
                    await PumpAsync(stopping);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogWarning(e, "Background outbox run failed; the timers will retry");
                }
            }
            while (Interlocked.Decrement(ref _requests) > 0 && !stopping.IsCancellationRequested);
        });
    }

    private async Task PumpAsync(CancellationToken stopping)
    {
        var feeding = FeedAsync(stopping);
        DispatchResult sent;
        bool fed;
        do
        {
            fed = feeding.IsCompleted;
            sent = await outbox.DispatchAsync(RoundSize, stopping);
            if (!fed && sent.Sent + sent.Failed == 0)
            {
                await Task.WhenAny(feeding, Task.Delay(FeedWait, time, stopping));
            }
        }
        while ((!fed || sent.Sent + sent.Failed > 0) && !stopping.IsCancellationRequested);

        await feeding;
    }

    private async Task FeedAsync(CancellationToken stopping)
    {
        foreach (var feeder in feeders)
        {
            await feeder.FeedAsync(stopping);
        }
    }
}
