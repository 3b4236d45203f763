using System.Globalization;
using System.Text.Json;
using Azure;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Blobs;

namespace Crisis.Functions.Crises;

/// <summary>A saved version of a crisis' content: the draft being edited, or the copy frozen by a publish.</summary>
public sealed record ContentVersion(int Version, DateTimeOffset SavedAt, string SavedBy, CrisisContent Content);

/// <summary>
/// Content documents in blob storage. Every save is kept as an immutable version
/// (<c>{id}/drafts/{n}.json</c>, <c>{id}/published/{n}.json</c>) and the current one is a copy guarded by its ETag,
/// so concurrent editors cannot overwrite each other and nothing is ever lost.
/// </summary>
public sealed class ContentStore(CrisisStorage storage, TimeProvider time)
{
    public const string ContainerName = "content";

    public Task<(ContentVersion Document, ETag ETag)?> GetDraftAsync(string crisisId, CancellationToken cancellationToken) =>
        ReadAsync($"{crisisId}/draft.json", cancellationToken);

    public Task<(ContentVersion Document, ETag ETag)?> GetPublishedAsync(string crisisId, CancellationToken cancellationToken) =>
        ReadAsync($"{crisisId}/published.json", cancellationToken);

    /// <summary>
    /// Saves a new draft version when the current draft is still version <paramref name="expectedVersion"/> (null: any).
    /// Throws <see cref="StoragePreconditionFailedException"/> when someone saved in between.
    /// </summary>
    public async Task<ContentVersion> SaveDraftAsync(string crisisId, CrisisContent content, int? expectedVersion, string actor, CancellationToken cancellationToken)
    {
        var current = await GetDraftAsync(crisisId, cancellationToken);
        if (expectedVersion is { } expected && (current?.Document.Version ?? 0) != expected)
        {
            throw new StoragePreconditionFailedException(412, "VersionMismatch", $"The draft is at version {current?.Document.Version ?? 0}, not {expected}.");
        }

        var next = new ContentVersion((current?.Document.Version ?? 0) + 1, time.GetUtcNow(), actor, content);
        await WriteVersionAsync(crisisId, "drafts", next, current?.ETag, "draft.json", cancellationToken);
        return next;
    }

    /// <summary>Freezes the current draft as the published content; returns it, or null when there is no draft.</summary>
    public async Task<ContentVersion?> PublishDraftAsync(string crisisId, string actor, CancellationToken cancellationToken)
    {
        var draft = await GetDraftAsync(crisisId, cancellationToken);
        if (draft is null)
        {
            return null;
        }

        var published = await GetPublishedAsync(crisisId, cancellationToken);
        var next = draft.Value.Document with { Version = (published?.Document.Version ?? 0) + 1, SavedAt = time.GetUtcNow(), SavedBy = actor };
        await WriteVersionAsync(crisisId, "published", next, published?.ETag, "published.json", cancellationToken);
        return next;
    }

    private async Task WriteVersionAsync(string crisisId, string history, ContentVersion version, ETag? currentETag, string currentName, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(ContainerName, cancellationToken);
        var bytes = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(version, JsonBody.Options));
        var versionName = string.Create(CultureInfo.InvariantCulture, $"{crisisId}/{history}/{version.Version:D6}.json");
        try
        {
            await container.GetBlobClient(versionName).UploadAsync(bytes, "application/json", new BlobRequestConditions(IfNoneMatch: ETag.All), cancellationToken);
        }
        catch (StorageConflictException e)
        {
            throw new StoragePreconditionFailedException(412, e.ErrorCode, "Another save took this version first.");
        }

        var conditions = currentETag is { } etag ? new BlobRequestConditions(IfMatch: etag) : new BlobRequestConditions(IfNoneMatch: ETag.All);
        await container.GetBlobClient($"{crisisId}/{currentName}").UploadAsync(bytes, "application/json", conditions, cancellationToken);
    }

    private async Task<(ContentVersion Document, ETag ETag)?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(ContainerName, cancellationToken);
        var blob = await container.GetBlobClient(name).DownloadContentIfExistsAsync(cancellationToken: cancellationToken);
        return blob is null ? null : (blob.Content.ToObjectFromJson<ContentVersion>(JsonBody.Options)!, blob.ETag);
    }
}
