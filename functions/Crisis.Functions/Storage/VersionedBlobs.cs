using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Crisis.Functions.Common;

namespace Crisis.Functions.Storage;

/// <summary>One saved version of a document.</summary>
public sealed record Versioned<T>(int Version, DateTimeOffset SavedAt, string SavedBy, T Content);

/// <summary>
/// Series of versioned JSON documents in one container: every save is kept as an immutable
/// <c>{series}/v{n}.json</c> (written create-only), and <c>{series}/current.json</c> is a copy guarded by its
/// ETag, so concurrent writers cannot overwrite each other and no version is ever lost.
/// A save writes two blobs, so it can be cut between them (a crash, a lost response that the client retries):
/// then a version exists beyond the one <c>current.json</c> names. The next save finds it, moves
/// <c>current.json</c> forward to it, and carries on from there, so a document is never stuck.
/// </summary>
public sealed class VersionedBlobs(CrisisStorage storage, string containerName, TimeProvider time)
{
    /// <summary>How many versions one save steps over (saves cut short by others, concurrent saves) before it gives up.</summary>
    private const int MaxAttempts = 8;

    public async Task<(Versioned<T> Document, ETag ETag)?> GetCurrentAsync<T>(string series, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var blob = await container.GetBlobClient(CurrentName(series)).ReadIfExistsAsync(cancellationToken: cancellationToken);
        return blob is null ? null : (blob.Content.ToObjectFromJson<Versioned<T>>(JsonBody.Options)!, blob.ETag);
    }

    public async Task<Versioned<T>?> GetVersionAsync<T>(string series, int version, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var blob = await container.GetBlobClient(VersionName(series, version)).ReadIfExistsAsync(cancellationToken: cancellationToken);
        return blob?.Content.ToObjectFromJson<Versioned<T>>(JsonBody.Options);
    }

    public async Task<IReadOnlyList<int>> ListVersionsAsync(string series, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var versions = new List<int>();
        await foreach (var blob in container.ListAsync(series + "/v", cancellationToken))
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
    /// (null: whatever it is). <see cref="ChangedMeanwhileException"/> when someone saved in between.
    /// </summary>
    public async Task<Versioned<T>> SaveAsync<T>(string series, T content, int? expectedVersion, string savedBy, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(containerName, cancellationToken);
        var pointer = container.GetBlobClient(CurrentName(series));
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var current = await pointer.ReadIfExistsAsync(cancellationToken: cancellationToken);
            var currentVersion = current is null ? 0 : current.Content.ToObjectFromJson<Versioned<T>>(JsonBody.Options)!.Version;
            if (expectedVersion is { } expected && currentVersion != expected)
            {
                throw new ChangedMeanwhileException($"The document is at version {currentVersion}, not {expected}.", "VersionMismatch");
            }

            var next = new Versioned<T>(currentVersion + 1, time.GetUtcNow(), savedBy, content);
            var bytes = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(next, JsonBody.Options));
            var versionBlob = container.GetBlobClient(VersionName(series, next.Version));
            try
            {
                await versionBlob.WriteAsync(bytes, "application/json", Blobs.CreateOnly, cancellationToken);
            }
            catch (AlreadyExistsException)
            {
                var existing = await versionBlob.ReadAsync(cancellationToken: cancellationToken);
                if (!existing.Content.ToMemory().Span.SequenceEqual(bytes.ToMemory().Span))
                {
                    // Another save holds this version (under way, or cut short before it moved the pointer):
                    // point current.json at it, then decide again from there.
                    await MovePointerAsync(pointer, existing.Content, current?.ETag, cancellationToken);
                    continue;
                }

                // Our own write, landed by an attempt whose answer was lost.
            }

            await MovePointerAsync(pointer, bytes, current?.ETag, cancellationToken);
            return next;
        }

        throw new ChangedMeanwhileException($"The document changed {MaxAttempts} times while it was being saved.", "VersionMismatch");
    }

    /// <summary>
    /// Points current.json at <paramref name="version"/> if it still is what was read (<paramref name="readETag"/>,
    /// null when there was none). When it is not, someone else moved it, to this version or past it: nothing is lost.
    /// </summary>
    private static async Task MovePointerAsync(BlobClient pointer, BinaryData version, ETag? readETag, CancellationToken cancellationToken)
    {
        try
        {
            await pointer.WriteAsync(version, "application/json", readETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : Blobs.CreateOnly, cancellationToken);
        }
        catch (Exception e) when (e is ChangedMeanwhileException or AlreadyExistsException)
        {
            // Another writer moved it first; the caller reads it again.
        }
    }

    private static string CurrentName(string series) => $"{series}/current.json";

    private static string VersionName(string series, int version) => string.Create(CultureInfo.InvariantCulture, $"{series}/v{version:D6}.json");
}
