using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Crises;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Subscriptions;

public sealed record SubscriberPage(IReadOnlyList<Subscriber> Subscribers, string? ContinuationToken);

/// <summary>Subscriptions read together (see <see cref="SubscriberStore.GetManyAsync"/>).</summary>
public sealed record SubscriberBatch(IReadOnlyDictionary<string, Lazy<Subscriber>> Found, bool Complete);

public sealed record SubscriberCounts(int Total, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyDictionary<string, int> ByChannel, IReadOnlyDictionary<string, int> ByLanguage);

/// <summary>What subscribers did while a crisis was live: subscriptions asked for, confirmed, unsubscribed and erased.</summary>
public sealed record SubscriberActivity(int Subscribed, int Confirmed, int Unsubscribed, int Erased);

/// <summary>The subscriber events counted per crisis.</summary>
public enum SubscriberEvent
{
    Subscribed,
    Confirmed,
    Unsubscribed,
    Erased,
}

/// <summary>
/// Subscribers, in table <c>subscribers</c>. A subscription is row <c>(s{shard}, {id})</c>, spread over 16 shards so
/// that no partition carries a whole fan-out. Everything about one contact lives in partition <c>c|{contact hash}</c>:
/// <c>s|{scope}</c> points at its subscription for that scope, <c>d|{day}</c> counts confirmations sent that day,
/// <c>i|{key hash}</c> notes an Idempotency-Key it used. The key itself is remembered in partition <c>idempotency</c>
/// (row = key hash, with the request's fingerprint), because a key names one request whatever the contact. Erasing
/// a contact deletes its partition, its subscriptions and the keys it used.
/// Partition <c>pending</c> lists subscriptions awaiting confirmation (row = id, with when it was last asked for),
/// to delete those never confirmed once their links have expired.
/// Row <c>(s{shard}, n|{crisis})</c> counts the subscriber events of that shard while the crisis was live (see
/// <see cref="ActivityAsync"/>); each count is written in the same transaction as the change it counts.
/// </summary>
public sealed class SubscriberStore(CrisisStorage storage, CrisisStore crises, TimeProvider time)
{
    public const string TableName = "subscribers";
    private const int MaxConcurrencyRetries = 5;

    public async Task<(Subscriber Subscriber, ETag ETag)?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(SubscriberIds.Partition(SubscriberIds.Shard(id)), id, cancellationToken: cancellationToken);
        return row is null ? null : (FromRow(row), row.ETag);
    }

    /// <summary>
    /// The subscriptions with these ids, for rendering many messages at once: per shard, one range query from the
    /// lowest id to the highest, read for at most <see cref="MaxReadAheadPages"/> pages. <see cref="SubscriberBatch.Complete"/>
    /// says whether every range was read to its end (then an id not found does not exist). A corrupted row throws
    /// only when its subscription is taken.
    /// </summary>
    public async Task<SubscriberBatch> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var found = new Dictionary<string, Lazy<Subscriber>>(StringComparer.Ordinal);
        var complete = true;
        foreach (var shard in ids.GroupBy(SubscriberIds.Shard))
        {
            var wanted = shard.ToHashSet(StringComparer.Ordinal);
            var first = wanted.Min(StringComparer.Ordinal)!;
            var last = wanted.Max(StringComparer.Ordinal)!;
            var partition = SubscriberIds.Partition(shard.Key);
            var read = 0;
            await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {first} and RowKey le {last}"), maxPerPage: Tables.MaxPageSize, cancellationToken: cancellationToken))
            {
                if (wanted.Contains(row.RowKey))
                {
                    found[row.RowKey] = new Lazy<Subscriber>(() => FromRow(row));
                }

                if (++read >= MaxReadAheadPages * Tables.MaxPageSize && found.Count(f => wanted.Contains(f.Key)) < wanted.Count)
                {
                    complete = false;
                    break;
                }
            }
        }

        return new SubscriberBatch(found, complete);
    }

    /// <summary>How far <see cref="GetManyAsync"/> reads a range that holds other subscriptions too.</summary>
    public const int MaxReadAheadPages = 3;

    /// <summary>The contact's subscription for <paramref name="scope"/>, if the index and the subscription agree.</summary>
    public async Task<(Subscriber Subscriber, ETag ETag)?> FindAsync(string contactHash, string scope, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var index = await table.FindAsync(ContactPartition(contactHash), "s|" + scope, cancellationToken: cancellationToken);
        if (index?.GetString("SubscriberId") is not { } id)
        {
            return null;
        }

        var found = await GetAsync(id, cancellationToken);
        return found is { Subscriber: var s } && s.ContactHash == contactHash && s.Scope == scope ? found : null;
    }

    /// <summary>
    /// Claims the contact's index entry for the scope (insert-if-absent), then writes (and counts) the subscription,
    /// so two requests at once cannot both create one: the loser gets <see cref="ChangedMeanwhileException"/> and
    /// looks again. Every subscription is reachable from its contact's partition, which is what erasure deletes. A
    /// crash between the two writes leaves an entry pointing at nothing; once older than
    /// <see cref="AbandonedClaimAfter"/> the next request takes it over.
    /// </summary>
    public async Task CreateAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var claim = new TableEntity(ContactPartition(subscriber.ContactHash), "s|" + subscriber.Scope) { ["SubscriberId"] = subscriber.Id, ["ClaimedAt"] = time.GetUtcNow() };
        try
        {
            await table.InsertAsync(claim, cancellationToken);
        }
        catch (AlreadyExistsException)
        {
            var held = await table.FindAsync(claim.PartitionKey, claim.RowKey, cancellationToken: cancellationToken)
                ?? throw new ChangedMeanwhileException($"The index entry of subscriber {subscriber.Id} changed meanwhile.");
            var abandoned = held.GetString("SubscriberId") is { } other && await GetAsync(other, cancellationToken) is null
                && (held.GetDateTimeOffset("ClaimedAt") ?? DateTimeOffset.MinValue) < time.GetUtcNow() - AbandonedClaimAfter;
            if (!abandoned)
            {
                throw new ChangedMeanwhileException($"Another request is creating the subscription of this contact for {subscriber.Scope}.");
            }

            await table.UpdateAsync(claim, held.ETag, TableUpdateMode.Replace, cancellationToken);
        }

        await SubmitCountedAsync(table, subscriber, new(TableTransactionActionType.Add, ToRow(subscriber)), SubscriberEvent.Subscribed, cancellationToken);
    }

    /// <summary>How long an index entry whose subscription was never written is held for the request that claimed it.</summary>
    public static readonly TimeSpan AbandonedClaimAfter = TimeSpan.FromMinutes(1);

    /// <summary>Replaces the pending subscription with its confirmed self if unchanged since <paramref name="etag"/>, and counts the confirmation.</summary>
    public async Task ConfirmAsync(Subscriber confirmed, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(confirmed);
        var table = await storage.TableAsync(TableName, cancellationToken);
        await SubmitCountedAsync(table, confirmed, new(TableTransactionActionType.UpdateReplace, ToRow(confirmed), etag), SubscriberEvent.Confirmed, cancellationToken);
    }

    /// <summary>Notes that confirmation of the subscription was asked for (see <see cref="PurgeUnconfirmedAsync"/>).</summary>
    public async Task NotePendingAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.UpsertAsync(new TableEntity(PendingPartition, subscriber.Id) { ["At"] = subscriber.RequestedAt ?? subscriber.CreatedAt }, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Forgets that the subscription awaits confirmation (it was confirmed or deleted).</summary>
    public async Task ClearPendingAsync(string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.RemoveAsync(PendingPartition, id, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Deletes subscriptions still pending whose last confirmation request is older than <paramref name="before"/>
    /// (their links have expired: they can never be confirmed). Reads only the pending list. Returns how many it deleted.
    /// </summary>
    public async Task<int> PurgeUnconfirmedAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var deleted = 0;
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {PendingPartition} and At lt {before}"), ["RowKey"], cancellationToken: cancellationToken))
        {
            if (await GetAsync(row.RowKey, cancellationToken) is { Subscriber: { Status: SubscriberStatus.Pending } subscriber }
                && (subscriber.RequestedAt ?? subscriber.CreatedAt) < before)
            {
                deleted += await DeleteAsync(subscriber, cancellationToken) ? 1 : 0;
            }
            else
            {
                await ClearPendingAsync(row.RowKey, cancellationToken);
            }
        }

        return deleted;
    }

    /// <summary>Replaces the subscription if unchanged since <paramref name="etag"/>; <see cref="ChangedMeanwhileException"/> otherwise.</summary>
    public async Task<ETag> ReplaceAsync(Subscriber subscriber, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var table = await storage.TableAsync(TableName, cancellationToken);
        return await table.UpdateAsync(ToRow(subscriber), etag, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Moves a subscription to another scope: the new scope is indexed first, the old index entry removed last.</summary>
    public async Task<ETag> MoveAsync(Subscriber before, Subscriber after, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = ContactPartition(after.ContactHash);
        await table.UpsertAsync(new TableEntity(partition, "s|" + after.Scope) { ["SubscriberId"] = after.Id }, TableUpdateMode.Replace, cancellationToken);
        var saved = await table.UpdateAsync(ToRow(after), etag, TableUpdateMode.Replace, cancellationToken);
        await RemoveIndexAsync(table, before, cancellationToken);
        return saved;
    }

    /// <summary>Deletes the subscription and its index entry (counting the deletion as <c>counted</c>, if given); false when it was already gone.</summary>
    public Task<bool> DeleteAsync(Subscriber subscriber, CancellationToken cancellationToken) => DeleteAsync(subscriber, null, cancellationToken);

    /// <inheritdoc cref="DeleteAsync(Subscriber, CancellationToken)"/>
    public async Task<bool> DeleteAsync(Subscriber subscriber, SubscriberEvent? counted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var deleted = counted is { } kind
            ? await DeleteCountedAsync(table, subscriber, kind, cancellationToken)
            : await table.RemoveAsync(SubscriberIds.Partition(SubscriberIds.Shard(subscriber.Id)), subscriber.Id, cancellationToken: cancellationToken);
        await RemoveIndexAsync(table, subscriber, cancellationToken);
        await table.RemoveAsync(PendingPartition, subscriber.Id, cancellationToken: cancellationToken);
        return deleted;
    }

    private async Task<bool> DeleteCountedAsync(TableClient table, Subscriber subscriber, SubscriberEvent counted, CancellationToken cancellationToken)
    {
        try
        {
            await SubmitCountedAsync(table, subscriber, new(TableTransactionActionType.Delete, new TableEntity(SubscriberIds.Partition(SubscriberIds.Shard(subscriber.Id)), subscriber.Id), ETag.All), counted, cancellationToken);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="change"/> to the subscription and, in the same transaction of its partition, adds one to
    /// <paramref name="counted"/> of every crisis live now that its scope covers: the count moves if and only if the
    /// change is made, so a repeated request counts nothing twice. When only a counter moved meanwhile (the
    /// subscription row is as it was) the counters are read again; a failure of the change itself is thrown as it is.
    /// </summary>
    private async Task SubmitCountedAsync(TableClient table, Subscriber subscriber, TableTransactionAction change, SubscriberEvent counted, CancellationToken cancellationToken)
    {
        var partition = SubscriberIds.Partition(SubscriberIds.Shard(subscriber.Id));
        var property = counted.ToString();
        var crisisIds = await LiveCrisesAsync(subscriber.Scope, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            List<TableTransactionAction> actions = [change];
            foreach (var crisisId in crisisIds)
            {
                var row = await table.FindAsync(partition, CounterRow(crisisId), [property], cancellationToken);
                var count = new TableEntity(partition, CounterRow(crisisId)) { [property] = (row?.GetCount(property) ?? 0) + 1 };
                actions.Add(row is null ? new(TableTransactionActionType.Add, count) : new(TableTransactionActionType.UpdateMerge, count, row.ETag));
            }

            try
            {
                await table.SubmitAsync(actions, cancellationToken);
                return;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or AlreadyExistsException or NotFoundException && crisisIds.Count > 0 && attempt < MaxConcurrencyRetries)
            {
                if (!await OnlyCountersChangedAsync(table, partition, subscriber.Id, change, cancellationToken))
                {
                    throw;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), time, cancellationToken);
            }
        }
    }

    /// <summary>Whether the change to the subscription could still be made as it was asked, so that only a counter stood in its way.</summary>
    private static async Task<bool> OnlyCountersChangedAsync(TableClient table, string partition, string id, TableTransactionAction change, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(partition, id, ["RowKey"], cancellationToken);
        return change.ActionType == TableTransactionActionType.Add ? row is null
            : change.ETag == ETag.All ? row is not null
            : row?.ETag == change.ETag;
    }

    /// <summary>
    /// The crises a subscriber event counts in: those live (active) now that the scope covers. A subscription to
    /// all crises counts in every crisis live at the time; one to a single crisis, in that crisis while it is live.
    /// </summary>
    private async Task<IReadOnlyList<string>> LiveCrisesAsync(string scope, CancellationToken cancellationToken) => scope == Subscriber.AllCrises
        ? [.. (await crises.ListAsync(cancellationToken)).Where(c => c.Status == CrisisStatus.Active).Select(c => c.Id)]
        : (await crises.GetAsync(scope, cancellationToken))?.Crisis is { Status: CrisisStatus.Active } ? [scope] : [];

    /// <summary>What subscribers did while the crisis was live: the counter rows of every shard, added up.</summary>
    public async Task<SubscriberActivity> ActivityAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var names = Enum.GetNames<SubscriberEvent>();
        var sums = new long[names.Length];
        var rows = await Task.WhenAll(Enumerable.Range(0, Outbox.Shards).Select(shard => table.FindAsync(SubscriberIds.Partition(shard), CounterRow(crisisId), names, cancellationToken)));
        foreach (var row in rows.OfType<TableEntity>())
        {
            for (var i = 0; i < names.Length; i++)
            {
                sums[i] += row.GetCount(names[i]) ?? 0;
            }
        }

        return new SubscriberActivity((int)sums[(int)SubscriberEvent.Subscribed], (int)sums[(int)SubscriberEvent.Confirmed], (int)sums[(int)SubscriberEvent.Unsubscribed], (int)sums[(int)SubscriberEvent.Erased]);
    }

    private static string CounterRow(string crisisId) => "n|" + crisisId;

    private static async Task RemoveIndexAsync(TableClient table, Subscriber subscriber, CancellationToken cancellationToken)
    {
        var partition = ContactPartition(subscriber.ContactHash);
        var index = await table.FindAsync(partition, "s|" + subscriber.Scope, cancellationToken: cancellationToken);
        if (index?.GetString("SubscriberId") == subscriber.Id)
        {
            await IgnoreChangedAsync(() => table.RemoveAsync(partition, index.RowKey, index.ETag, cancellationToken));
        }
    }

    /// <summary>Every subscription id the contact's index names, deleted (and counted as erased), and then the whole contact partition.</summary>
    public async Task<IReadOnlyList<string>> EraseContactAsync(string contactHash, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = ContactPartition(contactHash);
        var ids = new List<string>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken: cancellationToken))
        {
            if (row.GetString("SubscriberId") is { } id)
            {
                ids.Add(id);
                if (await GetAsync(id, cancellationToken) is { Subscriber: var subscriber })
                {
                    await DeleteCountedAsync(table, subscriber, SubscriberEvent.Erased, cancellationToken);
                }

                await table.RemoveAsync(PendingPartition, id, cancellationToken: cancellationToken);
            }

            // The key's memory goes too, unless another contact has used the key since (its time differs).
            if (row.RowKey.StartsWith(IdempotencyNote, StringComparison.Ordinal)
                && await table.FindAsync(IdempotencyPartition, row.RowKey[IdempotencyNote.Length..], cancellationToken: cancellationToken) is { } remembered
                && remembered.GetDateTimeOffset("At") == row.GetDateTimeOffset("At"))
            {
                try
                {
                    await table.RemoveAsync(IdempotencyPartition, remembered.RowKey, remembered.ETag, cancellationToken);
                }
                catch (ChangedMeanwhileException)
                {
                    // Another contact used the key meanwhile: it is theirs now.
                }
            }

            await table.RemoveAsync(partition, row.RowKey, cancellationToken: cancellationToken);
        }

        return ids;
    }

    /// <summary>
    /// Counts one confirmation message for the mailbox today unless <paramref name="max"/> were already sent; true
    /// when this one may go. Counts of earlier days are dropped.
    /// </summary>
    public Task<bool> CountConfirmationAsync(string mailboxHash, int max, CancellationToken cancellationToken) =>
        CountInWindowAsync(mailboxHash, "d|", time.GetUtcNow().UtcDateTime.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture), max, cancellationToken);

    /// <summary>Counts the manage link sent again to a subscribed mailbox: true when none went in the current <paramref name="interval"/>.</summary>
    public Task<bool> CountManageLinkAsync(string mailboxHash, TimeSpan interval, CancellationToken cancellationToken)
    {
        var window = time.GetUtcNow().UtcTicks / interval.Ticks * interval.Ticks;
        return CountInWindowAsync(mailboxHash, "m|", window.ToString("D19", CultureInfo.InvariantCulture), 1, cancellationToken);
    }

    /// <summary>Forgets the message limits of a mailbox (erasure).</summary>
    public async Task EraseLimitsAsync(string mailboxHash, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = LimitPartition(mailboxHash);
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), ["RowKey"], cancellationToken: cancellationToken))
        {
            await table.RemoveAsync(partition, row.RowKey, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Adds one to the counter of window <paramref name="window"/> (rows <c>{prefix}{window}</c>, earlier windows deleted) unless it holds <paramref name="max"/>.</summary>
    private async Task<bool> CountInWindowAsync(string mailboxHash, string prefix, string window, int max, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = LimitPartition(mailboxHash);
        var current = prefix + window;
        await foreach (var earlier in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {prefix} and RowKey lt {current}"), ["RowKey"], cancellationToken: cancellationToken))
        {
            await table.RemoveAsync(partition, earlier.RowKey, cancellationToken: cancellationToken);
        }

        return await table.TryAddAsync(partition, current, "Count", 1, max, time, cancellationToken) is not null;
    }

    /// <summary>The fingerprint of the request an Idempotency-Key was used with, by any contact, within the last day.</summary>
    public async Task<string?> IdempotentRequestAsync(string key, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(IdempotencyPartition, KeyHash(key), cancellationToken: cancellationToken);
        return row is not null && row.GetDateTimeOffset("At") > time.GetUtcNow().AddDays(-1) ? row.GetString("Fingerprint") : null;
    }

    /// <summary>
    /// Remembers an Idempotency-Key. The contact's note of it is written first: a crash in between leaves a note
    /// without a key (harmless), never a key that erasing the contact would miss.
    /// </summary>
    public async Task RememberRequestAsync(string contactHash, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var now = time.GetUtcNow();
        await table.UpsertAsync(new TableEntity(ContactPartition(contactHash), IdempotencyNote + KeyHash(key)) { ["At"] = now }, TableUpdateMode.Replace, cancellationToken);
        await table.UpsertAsync(new TableEntity(IdempotencyPartition, KeyHash(key)) { ["Fingerprint"] = fingerprint, ["At"] = now }, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// Records a delivery attempt: a success clears the failure count, a failure adds one and quarantines the
    /// subscriber at <paramref name="quarantineAfter"/>. True when this attempt quarantined it.
    /// </summary>
    public async Task<bool> RecordAttemptAsync(string id, string? failure, int quarantineAfter, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxConcurrencyRetries; attempt++)
        {
            if (await GetAsync(id, cancellationToken) is not { } found || found.Subscriber.Status == SubscriberStatus.Pending)
            {
                return false;
            }

            var (subscriber, etag) = found;
            if (failure is null && subscriber.Failures == 0)
            {
                return false;
            }

            var failures = failure is null ? 0 : subscriber.Failures + 1;
            var quarantine = failure is not null && failures >= quarantineAfter && subscriber.Status == SubscriberStatus.Confirmed;
            var updated = subscriber with
            {
                Failures = failures,
                LastError = failure ?? subscriber.LastError,
                Status = quarantine ? SubscriberStatus.Quarantined : subscriber.Status,
                QuarantinedAt = quarantine ? time.GetUtcNow() : subscriber.QuarantinedAt,
            };
            try
            {
                await ReplaceAsync(updated, etag, cancellationToken);
                return quarantine;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
            {
                // Changed meanwhile (another attempt, an admin): read again.
            }
        }

        return false;
    }

    /// <summary>Subscribers of one shard that an update of <paramref name="crisisId"/> reaches, after row key <paramref name="after"/>, in key order.</summary>
    public async IAsyncEnumerable<(string Id, string Topics)> ReachedAsync(int shard, string crisisId, string after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = SubscriberIds.Partition(shard);
        var confirmed = nameof(SubscriberStatus.Confirmed);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {after} and Status eq {confirmed} and (Scope eq {crisisId} or Scope eq {Subscriber.AllCrises})");
        await foreach (var row in table.QueryRowsAsync(filter, ["RowKey", "Topics"], cancellationToken: cancellationToken))
        {
            yield return (row.RowKey, row.GetString("Topics") ?? "");
        }
    }

    /// <summary>Subscribers whose scope covers <paramref name="crisisId"/>, optionally by status and channel, a page at a time across shards.</summary>
    public async Task<SubscriberPage> ListInScopeAsync(string crisisId, SubscriberStatus? status, OutboxChannel? channel, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var shards = Enumerable.Range(0, Outbox.Shards).Select(shard => InScope(shard, crisisId, status, channel)).ToList();
        var page = await table.QueryPageAsync(shards, null, pageSize, continuationToken, cancellationToken);
        return new SubscriberPage([.. page.Entities.Select(FromRow)], page.ContinuationToken);
    }

    /// <summary>Subscribers whose scope covers <paramref name="crisisId"/>, counted by status, channel and language (only those columns are read).</summary>
    public async Task<SubscriberCounts> CountAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var byStatus = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byChannel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byLanguage = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        for (var shard = 0; shard < Outbox.Shards; shard++)
        {
            await foreach (var row in table.QueryRowsAsync(InScope(shard, crisisId, null, null), ["Status", "Channel", "Language"], cancellationToken: cancellationToken))
            {
                total++;
                Add(byStatus, row.GetString("Status")!.ToLowerInvariant());
                Add(byChannel, row.GetString("Channel")!.ToLowerInvariant());
                Add(byLanguage, row.GetString("Language")!);
            }
        }

        return new SubscriberCounts(total, byStatus, byChannel, byLanguage);
    }

    private static void Add(SortedDictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static string InScope(int shard, string crisisId, SubscriberStatus? status, OutboxChannel? channel)
    {
        var partition = SubscriberIds.Partition(shard);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (Scope eq {crisisId} or Scope eq {Subscriber.AllCrises})");
        if (status is { } s)
        {
            filter = Tables.And(filter, TableClient.CreateQueryFilter($"Status eq {s.ToString()}"));
        }

        if (channel is { } c)
        {
            filter = Tables.And(filter, TableClient.CreateQueryFilter($"Channel eq {c.ToString()}"));
        }

        return filter;
    }

    private static async Task IgnoreChangedAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            // Someone else changed or removed it first.
        }
    }

    private const string PendingPartition = "pending";
    private const string IdempotencyPartition = "idempotency";
    private const string IdempotencyNote = "i|";

    private static string ContactPartition(string contactHash) => "c|" + contactHash;

    private static string LimitPartition(string mailboxHash) => "l|" + mailboxHash;

    private static string KeyHash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static TableEntity ToRow(Subscriber s) => new(SubscriberIds.Partition(SubscriberIds.Shard(s.Id)), s.Id)
    {
        ["Channel"] = s.Channel.ToString(),
        ["Address"] = s.Address,
        ["ContactHash"] = s.ContactHash,
        ["Scope"] = s.Scope,
        ["Language"] = s.Language,
        ["Topics"] = string.Join(',', s.Topics),
        ["Status"] = s.Status.ToString(),
        ["Nonce"] = s.Nonce,
        ["CreatedAt"] = s.CreatedAt,
        ["RequestedAt"] = s.RequestedAt,
        ["ConfirmedAt"] = s.ConfirmedAt,
        ["Failures"] = s.Failures,
        ["LastError"] = s.LastError,
        ["QuarantinedAt"] = s.QuarantinedAt,
    };

    private static Subscriber FromRow(TableEntity row) => new()
    {
        Id = row.RowKey,
        Channel = Enum.Parse<OutboxChannel>(row.GetString("Channel")!),
        Address = row.GetString("Address")!,
        ContactHash = row.GetString("ContactHash")!,
        Scope = row.GetString("Scope")!,
        Language = row.GetString("Language")!,
        Topics = [.. (row.GetString("Topics") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)],
        Status = Enum.Parse<SubscriberStatus>(row.GetString("Status")!),
        Nonce = row.GetString("Nonce"),
        CreatedAt = row.GetDateTimeOffset("CreatedAt")!.Value,
        RequestedAt = row.GetDateTimeOffset("RequestedAt"),
        ConfirmedAt = row.GetDateTimeOffset("ConfirmedAt"),
        Failures = row.GetInt32("Failures") ?? 0,
        LastError = row.GetString("LastError"),
        QuarantinedAt = row.GetDateTimeOffset("QuarantinedAt"),
    };
}
