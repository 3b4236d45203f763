using System.Globalization;
using System.Text.Json;
using Azure;
using Crisis.Functions.Common;
using Crisis.Functions.Storage.Blobs;

namespace Crisis.Functions.Storage;

/// <summary>One saved version of a document.</summary>
public sealed record Versioned<T>(int Version, DateTimeOffset SavedAt, string SavedBy, T Content);

/// <summary>
/// Series of versioned JSON documents in one container: every save is kept as an immutable
/// <c>{series}/{n}.json</c> (written create-only), and <c>{series}/current.json</c> is a copy guarded by its
/// ETag, so concurrent writers cannot overwrite each other and no version is ever lost.
/// </summary>
public sealed class VersionedBlobs(CrisisStorage storage, string containerName, TimeProvider time)
{
    public async Task<(Versioned<T> Document, ETag ETag)?> GetCurrentAsync<T>(string series, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var blob = await container.GetBlobClient($"{series}/current.json").DownloadContentIfExistsAsync(cancellationToken: cancellationToken);
        return blob is null ? null : (blob.Content.ToObjectFromJson<Versioned<T>>(JsonBody.Options)!, blob.ETag);
    }

    public async Task<Versioned<T>?> GetVersionAsync<T>(string series, int version, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var blob = await container.GetBlobClient(VersionName(series, version)).DownloadContentIfExistsAsync(cancellationToken: cancellationToken);
        return blob?.Content.ToObjectFromJson<Versioned<T>>(JsonBody.Options);
    }

    public async Task<IReadOnlyList<int>> ListVersionsAsync(string series, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var versions = new List<int>();
        await foreach (var blob in container.GetBlobsAsync(series + "/v", cancellationToken: cancellationToken))
        {
            if (int.TryParse(blob.Name.AsSpan(series.Length + 2, 6), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add(version);
            }
        }

        return versions;
    }

    /// <summary>
    /// Saves <paramref name="content"/> as the next version when the current one is still <paramref name="expectedVersion"/>
    /// (null: whatever it is). <see cref="StoragePreconditionFailedException"/> when someone saved in between.
    /// </summary>
    public async Task<Versioned<T>> SaveAsync<T>(string series, T content, int? expectedVersion, string savedBy, CancellationToken cancellationToken)
    {
        var current = await GetCurrentAsync<T>(series, cancellationToken);
        var currentVersion = current?.Document.Version ?? 0;
        if (expectedVersion is { } expected && currentVersion != expected)
        {
            throw new StoragePreconditionFailedException(412, "VersionMismatch", $"The document is at version {currentVersion}, not {expected}.");
        }

        var next = new Versioned<T>(currentVersion + 1, time.GetUtcNow(), savedBy, content);
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var bytes = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(next, JsonBody.Options));
        try
        {
            await container.GetBlobClient(VersionName(series, next.Version)).UploadAsync(bytes, "application/json", new BlobRequestConditions(IfNoneMatch: ETag.All), cancellationToken);
        }
        catch (StorageConflictException e)
        {
            throw new StoragePreconditionFailedException(412, e.ErrorCode, "Another save took this version first.");
        }

        var conditions = current is { ETag: var etag } ? new BlobRequestConditions(IfMatch: etag) : new BlobRequestConditions(IfNoneMatch: ETag.All);
        await container.GetBlobClient($"{series}/current.json").UploadAsync(bytes, "application/json", conditions, cancellationToken);
        return next;
    }

    private static string VersionName(string series, int version) => string.Create(CultureInfo.InvariantCulture, $"{series}/v{version:D6}.json");
}
