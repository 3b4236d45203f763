namespace Crisis.Functions.Host.Workers;

/// <summary>Allows a crashing worker a few restarts a minute, so a worker that cannot stay up is not restarted forever.</summary>
internal sealed class RestartBudget(int maxRestarts, TimeSpan window, TimeProvider time)
{
    private readonly Queue<DateTimeOffset> restarts = new();

    public int MaxRestarts => maxRestarts;

    public TimeSpan Window => window;

    public bool TryTake()
    {
        var now = time.GetUtcNow();
        while (restarts.Count > 0 && now - restarts.Peek() > window)
        {
            restarts.Dequeue();
        }

        if (restarts.Count >= maxRestarts)
        {
            return false;
        }

        restarts.Enqueue(now);
        return true;
    }
}
