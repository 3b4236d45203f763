using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Crises;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Subscriptions;

public sealed record FanoutResult(int Jobs, int Queued, int Finished);

/// <summary>Where notifying the subscribers of one update stands, with an estimate of when sending ends.</summary>
public sealed record NotificationStatus(
    string CrisisId,
    string UpdateId,
    bool Queuing,
    int Recipients,
    int Queued,
    int Sending,
    int Retrying,
    int Sent,
    int Failed,
    int Quarantined,
    int Cancelled,
    int SetAside,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EstimatedFinishAt);

/// <summary>
/// Queues one message per subscriber for each published update, and one "this crisis is over" message per
/// subscriber when a crisis ends (its job is named <see cref="CrisisStore.EndedFanoutId"/>). Subscribers and
/// outbox share 16 shards; each shard of a job has a checkpoint row in its outbox partition (<c>f|{crisis}|{update}</c>) naming the last
/// subscriber queued. Every batch of up to 96 messages is written in one transaction with the checkpoint's
/// advance, guarded by the checkpoint's ETag: a batch is queued with its progress or not at all, and a worker
/// whose claim was taken over writes nothing more. So a crash, a restart or a second worker neither skips nor
/// repeats a subscriber. Claims expire after <see cref="ClaimTimeout"/>; a worker that stops cleanly releases its claims.
/// </summary>
public sealed class FanoutService(CrisisStore crises, SubscriberStore subscribers, Outbox outbox, TimeProvider time, ILogger<FanoutService> logger)
    : IOutboxFeeder
{
    /// <summary>Who audits a notification job that could not be queued, and the action it audits.</summary>
    public const string FanoutActor = "notifications-timer";
    public const string SetAsideAction = "notification.set-aside";

    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Messages per transaction, the most the outbox queues at once with the checkpoint (see <see cref="Outbox.EnqueueBatchAsync"/>).</summary>
    private const int BatchSize = Outbox.MaxBatch;

    public Task FeedAsync(CancellationToken cancellationToken) => RunAsync(int.MaxValue, cancellationToken);

    /// <summary>Queues the subscribers of pending jobs, about <paramref name="budget"/> at most (whole batches); the rest waits for the next run.</summary>
    public async Task<FanoutResult> RunAsync(int budget, CancellationToken cancellationToken)
    {
        var worker = Guid.NewGuid().ToString("N");
        var jobs = await crises.PendingFanoutsAsync(cancellationToken);
        int queued = 0, finished = 0;
        foreach (var (crisisId, updateId) in jobs)
        {
            if (Volatile.Read(ref queued) >= budget)
            {
                break;
            }

            try
            {
                finished += await RunJobAsync(crisisId, updateId, worker, () => Volatile.Read(ref queued) < budget, n => Interlocked.Add(ref queued, n), cancellationToken) ? 1 : 0;
            }
            catch (Exception e) when (e is not (StorageUnavailableException or OperationCanceledException))
            {
                // One job that cannot be queued must not hold back the notifications of every update after it. It
                // stays pending and is tried again next run (its subscribers are still owed it); admins see why once.
                logger.LogError(e, "Set aside the notification job of update {UpdateId} of crisis {CrisisId} for this run", updateId, crisisId);
                await crises.AuditOnceAsync(crisisId, $"{updateId}|fanout-set-aside", time.GetUtcNow().Date, FanoutActor, SetAsideAction,
                    $"Notifying the subscribers of update {updateId} failed and is retried each run: {e.Message}", cancellationToken);
            }
        }

        return new FanoutResult(jobs.Count, queued, finished);
    }

    /// <summary>Queues a job's subscribers, shards at once, as far as the budget goes; true when this run finished it.</summary>
    private async Task<bool> RunJobAsync(string crisisId, string updateId, string worker, Func<bool> withinBudget, Action<int> count, CancellationToken cancellationToken)
    {
        var ended = updateId == CrisisStore.EndedFanoutId;
        var update = ended ? null : (await crises.GetUpdateAsync(crisisId, updateId, cancellationToken))?.Update;
        var crisis = (await crises.GetAsync(crisisId, cancellationToken))?.Crisis;
        if (crisis is null || (!ended && update?.PublishedAt is null))
        {
            await crises.CompleteFanoutAsync(crisisId, updateId, cancellationToken);
            return false;
        }

        if (crisis.Status == CrisisStatus.Draft)
        {
            // Not public yet: its subscribers hear of the update once the crisis is activated.
            return false;
        }

        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Outbox.Shards), new ParallelOptions { MaxDegreeOfParallelism = Outbox.Shards, CancellationToken = cancellationToken }, async (shard, token) =>
        {
            if (await QueueShardAsync(shard, crisisId, updateId, update?.Topic, worker, withinBudget, count, token))
            {
                Interlocked.Increment(ref done);
            }
        });

        if (done != Outbox.Shards)
        {
            return false;
        }

        await crises.CompleteFanoutAsync(crisisId, updateId, cancellationToken);
        logger.LogInformation("Update {UpdateId} of crisis {CrisisId}: every subscriber queued for notification", updateId, crisisId);
        return true;
    }

    /// <summary>Queues one shard of a job from its checkpoint on; true when the shard is complete.</summary>
    private async Task<bool> QueueShardAsync(int shard, string crisisId, string updateId, string? topic, string worker, Func<bool> withinBudget, Action<int> count, CancellationToken cancellationToken)
    {
        var table = await outbox.ShardTableAsync(shard, cancellationToken);
        var checkpoint = await CheckpointAsync(table, shard, crisisId, updateId, cancellationToken);
        if (checkpoint.GetBoolean("Done") == true)
        {
            return true;
        }

        var now = time.GetUtcNow();
        if (checkpoint.GetString("ClaimedBy") is { Length: > 0 } other && other != worker && checkpoint.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout)
        {
            return false;
        }

        ETag etag;
        try
        {
            etag = await table.UpdateAsync(Progress(checkpoint, worker), checkpoint.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            return false;
        }

        var queued = checkpoint.GetInt32("Queued") ?? 0;
        var batch = new List<string>(BatchSize);
        var complete = false;
        try
        {
            await foreach (var (id, topics) in subscribers.ReachedAsync(shard, crisisId, checkpoint.GetString("Last") ?? "", cancellationToken))
            {
                if (!Subscriber.Wants(topics.Split(',', StringSplitOptions.RemoveEmptyEntries), topic))
                {
                    continue;
                }

                batch.Add(id);
                if (batch.Count == BatchSize)
                {
                    if (!withinBudget())
                    {
                        return false;
                    }

                    (etag, queued) = await FlushAsync(shard, crisisId, updateId, worker, batch, etag, queued, count, cancellationToken);
                }
            }

            if (batch.Count > 0)
            {
                (etag, queued) = await FlushAsync(shard, crisisId, updateId, worker, batch, etag, queued, count, cancellationToken);
            }

            var finished = Progress(checkpoint, "");
            finished["Done"] = true;
            finished["Last"] = "";
            finished["FinishedAt"] = time.GetUtcNow();
            etag = await table.UpdateAsync(finished, etag, TableUpdateMode.Merge, cancellationToken);
            complete = true;
            return true;
        }
        catch (ChangedMeanwhileException)
        {
            logger.LogWarning("Update {UpdateId} of crisis {CrisisId}: shard {Shard} was taken over by another worker", updateId, crisisId, shard);
            return false;
        }
        finally
        {
            if (!complete)
            {
                await ReleaseAsync(table, checkpoint, etag);
            }
        }
    }

    private async Task<(ETag ETag, int Queued)> FlushAsync(int shard, string crisisId, string updateId, string worker, List<string> batch, ETag etag, int queued, Action<int> count, CancellationToken cancellationToken)
    {
        var progress = Progress(new TableEntity(Outbox.ShardName(shard), CheckpointKey(crisisId, updateId)), worker);
        progress["Last"] = batch[^1];
        progress["Queued"] = queued + batch.Count;
        var messages = batch.Select(id => updateId == CrisisStore.EndedFanoutId
            ? new DeferredMessage(CrisisEndedMessages.Key(crisisId, id), CrisisEndedMessages.KindName, CrisisEndedMessages.Reference(crisisId, id), id)
            : new DeferredMessage(UpdateNotifications.Key(crisisId, updateId, id), UpdateNotifications.KindName, UpdateNotifications.Reference(crisisId, updateId, id), id, UpdateNotifications.KeyPrefix(crisisId, updateId))).ToList();
        var next = await outbox.EnqueueBatchAsync(shard, messages, progress, etag, cancellationToken);
        count(batch.Count);
        var total = queued + batch.Count;
        batch.Clear();
        return (next, total);
    }

    private TableEntity Progress(TableEntity checkpoint, string worker) =>
        new(checkpoint.PartitionKey, checkpoint.RowKey) { ["ClaimedBy"] = worker, ["ClaimedAt"] = time.GetUtcNow() };

    /// <summary>Gives the claim up so another run can continue at once; if it is no longer ours, there is nothing to give.</summary>
    private static async Task ReleaseAsync(TableClient table, TableEntity checkpoint, ETag etag)
    {
        try
        {
            await table.UpdateAsync(new TableEntity(checkpoint.PartitionKey, checkpoint.RowKey) { ["ClaimedBy"] = "" }, etag, TableUpdateMode.Merge, CancellationToken.None);
        }
        catch (StorageException)
        {
            // Taken over, or storage unreachable: the claim expires by itself.
        }
    }

    private async Task<TableEntity> CheckpointAsync(TableClient table, int shard, string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var partition = Outbox.ShardName(shard);
        var key = CheckpointKey(crisisId, updateId);
        if (await table.FindAsync(partition, key, cancellationToken: cancellationToken) is { } existing)
        {
            return existing;
        }

        try
        {
            await table.InsertAsync(new TableEntity(partition, key) { ["Last"] = "", ["Queued"] = 0, ["Done"] = false, ["StartedAt"] = time.GetUtcNow(), ["ClaimedBy"] = "" }, cancellationToken);
        }
        catch (AlreadyExistsException)
        {
            // Another worker created it first.
        }

        return await table.ReadAsync(partition, key, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Totals of one update's notifications, from the outbox's counters of the update (how many were queued, how
    /// they ended, which erasure does not lower, and how many are being sent or wait for a retry): a fixed number of
    /// reads whatever the number of recipients, with a finish estimate while messages remain.
    /// </summary>
    public async Task<NotificationStatus> StatusAsync(string crisisId, CrisisUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var updateId = update.Id;
        var tally = UpdateNotifications.KeyPrefix(crisisId, updateId);

        // Publishing adds the job in the same transaction, so an update read as published before the job is read as
        // gone gets nothing more queued: its settled totals can be sealed.
        var queuing = await crises.IsFanoutPendingAsync(crisisId, updateId, cancellationToken);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        if (update.PublishedAt is not null && !queuing)
        {
            closed.Add(tally);
        }

        var counts = (await outbox.CountsAsync([tally], closed, cancellationToken)).GetValueOrDefault(tally) ?? new DeliveryCounts(0, 0, 0, 0, 0);
        var done = counts.Sent + counts.Failed + counts.Quarantined + counts.Cancelled + counts.SetAside;
        DateTimeOffset? estimate = null;
        if (counts.FirstQueuedAt is { } start && counts.Pending > 0 && done > 0)
        {
            var now = time.GetUtcNow();
            estimate = now + (now - start) * counts.Pending / done;
        }

        return new NotificationStatus(crisisId, updateId, queuing, counts.Queued,
            Math.Max(0, counts.Pending - counts.Sending - counts.Retrying), counts.Sending, counts.Retrying,
            counts.Sent, counts.Failed, counts.Quarantined, counts.Cancelled, counts.SetAside,
            counts.FirstQueuedAt, estimate);
    }

    private static string CheckpointKey(string crisisId, string updateId) => string.Create(CultureInfo.InvariantCulture, $"f|{crisisId}|{updateId}");
}
