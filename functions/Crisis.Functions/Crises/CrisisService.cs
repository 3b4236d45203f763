using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Crises;

public sealed class CrisisNotFoundException(string what) : Exception($"{what} does not exist.");

/// <summary>An archived crisis is kept for the record and can no longer be edited.</summary>
public sealed class CrisisReadOnlyException(string id) : InvalidOperationException($"Crisis {id} is archived and can no longer be changed.");

/// <summary>Only a published update that is still public can be retracted.</summary>
public sealed class UpdateNotPublicException(string message) : InvalidOperationException(message);

/// <summary>The client's If-Match named a version that is no longer current.</summary>
public sealed class VersionMismatchException(string message) : Exception(message);

/// <summary>
/// What admins do to crises, in one place for the HTTP API and the demo content: every change is validated by
/// the caller, written with its audit entry, and republished when the public can see it.
/// </summary>
public sealed class CrisisService(CrisisStore store, ContentStore contents, PagePublisher publisher, Touchpoints.TouchpointPublisher touchpoints, Notifications.OutboxKick notify, TimeProvider time, ILogger<CrisisService> logger)
{
    private const int MaxConcurrencyRetries = 5;

    public async Task<CrisisRecord> CreateAsync(CrisisRecord draft, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var now = time.GetUtcNow();
        var crisis = draft with { Status = CrisisStatus.Draft, CreatedAt = now, UpdatedAt = now, Version = 1 };
        await store.CreateAsync(crisis, actor, cancellationToken);
        logger.LogInformation("Crisis {CrisisId} created by {Actor}", crisis.Id, actor);
        return crisis;
    }

    public async Task<CrisisRecord> GetAsync(string id, CancellationToken cancellationToken) =>
        (await store.GetAsync(id, cancellationToken) ?? throw new CrisisNotFoundException($"Crisis {id}")).Crisis;

    /// <summary>
    /// Applies <paramref name="change"/> to the current crisis and saves it with its audit entry, retrying on a
    /// concurrent write unless the client pinned a version with If-Match.
    /// </summary>
    public async Task<CrisisRecord> ChangeAsync(string id, int? expectedVersion, string actor, string action, Func<CrisisRecord, CrisisRecord> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var (before, etag) = await store.GetAsync(id, cancellationToken) ?? throw new CrisisNotFoundException($"Crisis {id}");
            if (expectedVersion is { } expected && expected != before.Version)
            {
                throw new VersionMismatchException($"Crisis {id} is at version {before.Version}, not {expected}.");
            }

            if (before.Status == CrisisStatus.Archived)
            {
                throw new CrisisReadOnlyException(id);
            }

            var after = change(before) with { UpdatedAt = time.GetUtcNow(), Version = before.Version + 1 };
            try
            {
                await store.ReplaceAsync(before, after, etag, actor, action, cancellationToken);
            }
            catch (ChangedMeanwhileException) when (expectedVersion is null && attempt < MaxConcurrencyRetries)
            {
                continue;
            }
            catch (ChangedMeanwhileException)
            {
                throw new VersionMismatchException($"Crisis {id} was changed by someone else; read it again.");
            }

            logger.LogInformation("Crisis {CrisisId}: {Action} by {Actor} (version {Version})", id, action, actor, after.Version);
            if (after.Status != CrisisStatus.Draft || before.Status != CrisisStatus.Draft)
            {
                await publisher.PublishAsync(id, cancellationToken);
                await touchpoints.PublishCrisisAsync(id, cancellationToken);
            }

            if (after.Status == CrisisStatus.Ended && before.Status != CrisisStatus.Ended)
            {
                notify.Dispatch();
            }

            return after;
        }
    }

    public Task<CrisisRecord> MoveAsync(string id, CrisisStatus to, int? expectedVersion, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(id, expectedVersion, actor, "crisis." + to switch
        {
            CrisisStatus.Active => "activate",
            CrisisStatus.Ended => "end",
            CrisisStatus.Archived => "archive",
            _ => to.ToString().ToLowerInvariant(),
        }, crisis => Lifecycle.Move(crisis, to, time.GetUtcNow()), cancellationToken);

    public async Task<Versioned<CrisisContent>> SaveContentAsync(string id, CrisisContent content, int? expectedVersion, string actor, CancellationToken cancellationToken)
    {
        await RequireEditableAsync(id, cancellationToken);
        var before = await contents.GetDraftAsync(id, cancellationToken);
        Versioned<CrisisContent> saved;
        try
        {
            saved = await contents.SaveDraftAsync(id, content, expectedVersion, actor, cancellationToken);
        }
        catch (ChangedMeanwhileException e)
        {
            throw new VersionMismatchException(e.Message);
        }

        await store.AuditAsync(id, actor, "content.edit",
            before is null ? null : $"draft version {before.Value.Document.Version}",
            $"draft version {saved.Version} ({ContentStore.ContainerName}/{id}/drafts/)", cancellationToken);
        return saved;
    }

    public async Task<Versioned<CrisisContent>> PublishContentAsync(string id, string actor, CancellationToken cancellationToken)
    {
        await RequireEditableAsync(id, cancellationToken);
        var published = await contents.PublishDraftAsync(id, actor, cancellationToken)
            ?? throw new CrisisNotFoundException($"A content draft of crisis {id}");
        await store.AuditAsync(id, actor, "content.publish", null, $"published version {published.Version} (from the draft saved by {published.SavedBy})", cancellationToken);
        await publisher.PublishAsync(id, cancellationToken);
        return published;
    }

    public async Task<CrisisUpdate> AddUpdateAsync(string id, Dictionary<string, string> text, DateTimeOffset? nextUpdateExpectedAt, string? topic, bool publish, string actor, CancellationToken cancellationToken)
    {
        await RequireEditableAsync(id, cancellationToken);
        var now = time.GetUtcNow();
        var update = new CrisisUpdate
        {
            Id = store.NewUpdateId(),
            Text = text,
            NextUpdateExpectedAt = nextUpdateExpectedAt,
            Topic = topic,
            CreatedAt = now,
            CreatedBy = actor,
            PublishedAt = publish ? now : null,
            PublishedBy = publish ? actor : null,
        };
        await store.AddUpdateAsync(id, update, actor, cancellationToken);
        if (publish)
        {
            await PromiseAndPublishAsync(id, update, actor, cancellationToken);
            notify.Dispatch();
        }

        return update;
    }

    /// <summary>Publishes a draft update and starts notifying its subscribers; publishing one already published changes nothing.</summary>
    public async Task<CrisisUpdate> PublishUpdateAsync(string id, string updateId, string actor, CancellationToken cancellationToken)
    {
        await RequireEditableAsync(id, cancellationToken);
        var (update, etag) = await store.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
        if (update.PublishedAt is not null)
        {
            return update;
        }

        var published = update with { PublishedAt = time.GetUtcNow(), PublishedBy = actor };
        try
        {
            await store.ReplaceUpdateAsync(id, update, published, etag, actor, "update.publish", cancellationToken);
        }
        catch (ChangedMeanwhileException)
        {
            return (await store.GetUpdateAsync(id, updateId, cancellationToken))!.Value.Update;
        }

        await PromiseAndPublishAsync(id, published, actor, cancellationToken);
        notify.Dispatch();
        return published;
    }

    /// <summary>Withdraws a published update from the page and feed; a second retraction, or one of a draft, is a conflict.</summary>
    public async Task<CrisisUpdate> RetractUpdateAsync(string id, string updateId, string reason, string actor, CancellationToken cancellationToken)
    {
        await RequireEditableAsync(id, cancellationToken);
        var (update, etag) = await store.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
        if (!update.IsPublic)
        {
            throw new UpdateNotPublicException(update.PublishedAt is null ? $"Update {updateId} is a draft; there is nothing to retract." : $"Update {updateId} was already retracted.");
        }

        var retracted = update with { RetractedAt = time.GetUtcNow(), RetractedBy = actor, RetractionReason = reason };
        try
        {
            await store.ReplaceUpdateAsync(id, update, retracted, etag, actor, "update.retract", cancellationToken);
        }
        catch (ChangedMeanwhileException)
        {
            throw new VersionMismatchException($"Update {updateId} was changed by someone else; read it again.");
        }

        logger.LogInformation("Update {UpdateId} of crisis {CrisisId} retracted by {Actor}", updateId, id, actor);
        await publisher.PublishAsync(id, cancellationToken);
        return retracted;
    }

    /// <summary>
    /// Republishes the page for a newly published update; one that names when the next comes makes that the public
    /// promise (an update that names nothing leaves the promise alone).
    /// </summary>
    private async Task PromiseAndPublishAsync(string id, CrisisUpdate published, string actor, CancellationToken cancellationToken)
    {
        if (published.NextUpdateExpectedAt is { } promise)
        {
            await ChangeAsync(id, null, actor, "crisis.promise", crisis => crisis with { NextUpdateExpectedAt = promise }, cancellationToken);
        }
        else
        {
            await publisher.PublishAsync(id, cancellationToken);
        }
    }

    private async Task RequireEditableAsync(string id, CancellationToken cancellationToken)
    {
        if ((await GetAsync(id, cancellationToken)).Status == CrisisStatus.Archived)
        {
            throw new CrisisReadOnlyException(id);
        }
    }

    /// <summary>Parses an If-Match header of the form "v3" (crisis) or "d3" (content draft); null when absent.</summary>
    public static bool TryParseIfMatch(string? header, char prefix, out int? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            return true;
        }

        var tag = header.Trim();
        if (tag.Length > 3 && tag[0] == '"' && tag[^1] == '"' && tag[1] == prefix
            && int.TryParse(tag.AsSpan(2, tag.Length - 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return true;
        }

        return false;
    }

    public static string ETagOf(char prefix, int version) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{prefix}{version}\"");
}
