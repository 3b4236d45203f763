using Azure;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Crises;

/// <summary>
/// Content documents in blob storage, two versioned series per crisis: the draft being edited
/// (<c>{id}/drafts/</c>) and the copies frozen by each publish (<c>{id}/published/</c>).
/// </summary>
public sealed class ContentStore(CrisisStorage storage, TimeProvider time)
{
    public const string ContainerName = "content";

    private readonly VersionedBlobs _blobs = new(storage, ContainerName, time);

    public Task<(Versioned<CrisisContent> Document, ETag ETag)?> GetDraftAsync(string crisisId, CancellationToken cancellationToken) =>
        _blobs.GetCurrentAsync<CrisisContent>(DraftSeries(crisisId), cancellationToken);

    public Task<(Versioned<CrisisContent> Document, ETag ETag)?> GetPublishedAsync(string crisisId, CancellationToken cancellationToken) =>
        _blobs.GetCurrentAsync<CrisisContent>(PublishedSeries(crisisId), cancellationToken);

    /// <summary>Saves a new draft version; <see cref="ChangedMeanwhileException"/> when the draft is no longer <paramref name="expectedVersion"/>.</summary>
    public Task<Versioned<CrisisContent>> SaveDraftAsync(string crisisId, CrisisContent content, int? expectedVersion, string actor, CancellationToken cancellationToken) =>
        _blobs.SaveAsync(DraftSeries(crisisId), content, expectedVersion, actor, cancellationToken);

    /// <summary>Freezes the current draft as the next published version; null when there is no draft.</summary>
    public async Task<Versioned<CrisisContent>?> PublishDraftAsync(string crisisId, string actor, CancellationToken cancellationToken)
    {
        var draft = await GetDraftAsync(crisisId, cancellationToken);
        return draft is null ? null : await _blobs.SaveAsync(PublishedSeries(crisisId), draft.Value.Document.Content, null, actor, cancellationToken);
    }

    private static string DraftSeries(string crisisId) => crisisId + "/drafts";

    private static string PublishedSeries(string crisisId) => crisisId + "/published";
}
