namespace Crisis.Functions.Notifications;

/// <summary>
/// Starts sending queued messages right away, in the background, after a change that queued some; the timer
/// sends whatever this misses. At most one background dispatch runs per instance.
/// </summary>
public sealed class OutboxKick(Outbox outbox, IHostApplicationLifetime lifetime, ILogger<OutboxKick> logger)
{
    private int _running;

    public void Dispatch()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await outbox.DispatchAsync(500, lifetime.ApplicationStopping);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning(e, "Background outbox dispatch failed; the timer will retry");
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        });
    }
}
