using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Crisis.Functions.Storage;

/// <summary>A blob read back, or <see cref="NotModified"/> (no content) when If-None-Match matched its ETag.</summary>
public sealed record StoredBlob(BinaryData Content, string? ContentType, ETag ETag, DateTimeOffset? LastModified, bool NotModified);

/// <summary>
/// The blob operations the features use: Azure.Storage.Blobs' own, with its failures translated into
/// <see cref="StorageException"/>s and "not there" and "not modified" as values rather than failures.
/// </summary>
public static class Blobs
{
    /// <summary>Conditions for a write that only creates (it fails with <see cref="AlreadyExistsException"/> when the blob exists).</summary>
    public static BlobRequestConditions CreateOnly => new() { IfNoneMatch = ETag.All };

    /// <summary>
    /// Writes the whole blob under <paramref name="conditions"/> (<see cref="CreateOnly"/>; IfMatch to replace one
    /// version; a lease id): <see cref="ChangedMeanwhileException"/> when they do not hold. Returns its new ETag.
    /// </summary>
    public static async Task<ETag> WriteAsync(this BlobClient blob, BinaryData content, string contentType, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType }, Conditions = conditions };
        var response = await StorageErrors.Translate($"Write blob {blob.BlobContainerName}/{blob.Name}", () => blob.UploadAsync(content, options, cancellationToken), cancellationToken);
        return response.Value.ETag;
    }

    /// <summary>Reads the blob, or null when it does not exist.</summary>
    public static async Task<StoredBlob?> ReadIfExistsAsync(this BlobClient blob, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            var response = await StorageErrors.Translate(
                $"Read blob {blob.BlobContainerName}/{blob.Name}",
                () => blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = conditions }, cancellationToken),
                cancellationToken);
            if (response.GetRawResponse().Status == 304)
            {
                // A 304 has no body and need not repeat the ETag: it is the one that matched.
                return new StoredBlob(BinaryData.Empty, null, conditions?.IfNoneMatch ?? default, null, NotModified: true);
            }

            var details = response.Value.Details;
            return new StoredBlob(response.Value.Content, details.ContentType, details.ETag, details.LastModified, NotModified: false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Reads the blob; <see cref="NotFoundException"/> when it does not exist.</summary>
    public static async Task<StoredBlob> ReadAsync(this BlobClient blob, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default) =>
        await blob.ReadIfExistsAsync(conditions, cancellationToken)
        ?? throw new NotFoundException($"Read blob {blob.BlobContainerName}/{blob.Name} failed: it does not exist.", "BlobNotFound");

    /// <summary>Deletes the blob under <paramref name="conditions"/>; false when it did not exist.</summary>
    public static async Task<bool> RemoveAsync(this BlobClient blob, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var response = await StorageErrors.Translate(
            $"Delete blob {blob.BlobContainerName}/{blob.Name}",
            () => blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, cancellationToken),
            cancellationToken);
        return response.Value;
    }

    /// <summary>True when the container exists; <see cref="StorageUnavailableException"/> when storage cannot say.</summary>
    public static async Task<bool> ExistsCheckedAsync(this BlobContainerClient container, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        var response = await StorageErrors.Translate($"Read container {container.Name}", () => container.ExistsAsync(cancellationToken), cancellationToken);
        return response.Value;
    }

    /// <summary>Every blob whose name starts with <paramref name="prefix"/>, in name order.</summary>
    public static async IAsyncEnumerable<BlobItem> ListAsync(this BlobContainerClient container, string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        var operation = $"List blobs in {container.Name}";
        await using var pages = container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        while (await StorageErrors.Translate(operation, () => pages.MoveNextAsync().AsTask(), cancellationToken))
        {
            foreach (var item in pages.Current.Values)
            {
                yield return item;
            }
        }
    }

    /// <summary>Takes the blob's lease for <paramref name="duration"/> (15-60 s); <see cref="AlreadyExistsException"/> while someone else holds it. Returns the lease id.</summary>
    public static async Task<string> TakeLeaseAsync(this BlobClient blob, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var lease = blob.GetBlobLeaseClient();
        var response = await StorageErrors.Translate($"Lease {blob.BlobContainerName}/{blob.Name}", () => lease.AcquireAsync(duration, cancellationToken: cancellationToken), cancellationToken);
        return response.Value.LeaseId;
    }

    /// <summary>Gives the lease back, so the next holder need not wait for it to expire.</summary>
    public static async Task ReleaseLeaseAsync(this BlobClient blob, string leaseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        await StorageErrors.Translate(
            $"Release lease on {blob.BlobContainerName}/{blob.Name}",
            () => blob.GetBlobLeaseClient(leaseId).ReleaseAsync(cancellationToken: cancellationToken),
            cancellationToken);
    }
}
