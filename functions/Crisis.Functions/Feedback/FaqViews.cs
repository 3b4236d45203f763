using System.Collections.Concurrent;

namespace Crisis.Functions.Feedback;

/// <summary>
/// Counts FAQ reads without touching storage on the read path: counts gather in memory and are added to the
/// stored totals every <see cref="FlushEvery"/>, when the app stops, and before a report reads them. A crash
/// loses at most the last interval's counts of that instance.
/// </summary>
public sealed class FaqViews(FeedbackStore store, ILogger<FaqViews> logger) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<(string CrisisId, string Language), long> _pending = new();

    public void Count(string crisisId, string language) => _pending.AddOrUpdate((crisisId, language), 1, static (_, n) => n + 1);

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _pending.Keys)
        {
            if (!_pending.TryRemove(key, out var views))
            {
                continue;
            }

            try
            {
                await store.AddFaqViewsAsync(key.CrisisId, key.Language, views, cancellationToken);
            }
            catch
            {
                _pending.AddOrUpdate(key, views, (_, n) => n + views);
                throw;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await FlushQuietlyAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushQuietlyAsync(cancellationToken);
    }

    private async Task FlushQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "FAQ view counts could not be stored yet; they are kept for the next attempt");
        }
    }
}
