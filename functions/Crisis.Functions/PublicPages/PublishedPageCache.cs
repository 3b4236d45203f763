using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.PublicPages;

/// <summary>A published document held in memory with its strong ETag (a hash of its bytes).</summary>
public sealed class CachedDocument
{
    private PublicFaqIndex? _faqIndex;

    public CachedDocument(byte[] body, string contentType)
    {
        Body = body;
        ContentType = contentType;
        ETag = StrongETag(body);
    }

    public byte[] Body { get; }

    public string ContentType { get; }

    public string ETag { get; }

    /// <summary>For FAQ documents: the entries with their search-folded text, built on first search.</summary>
    public PublicFaqIndex FaqIndex => _faqIndex ??= new PublicFaqIndex(JsonSerializer.Deserialize<PublicFaq>(Body, JsonBody.Options)!);

    public static string StrongETag(ReadOnlySpan<byte> body) =>
        "\"" + Base64Url.Encode(SHA256.HashData(body))[..27] + "\"";
}

/// <summary>The FAQ of one language with each entry's question and answer folded for search.</summary>
public sealed class PublicFaqIndex(PublicFaq faq)
{
    private readonly (PublicFaqEntry Entry, string Folded)[] _entries =
        [.. faq.Entries.Select(e => (e, TextSearch.Fold(e.Question + "\n" + e.Answer)))];

    public bool HasEntry(string entryId) => _entries.Any(e => e.Entry.Id == entryId);

    public PublicFaq Search(string query)
    {
        var terms = TextSearch.Terms(query);
        return faq with { Query = query, Entries = [.. _entries.Where(e => TextSearch.Matches(e.Folded, terms)).Select(e => e.Entry)] };
    }
}

/// <summary>
/// Serves published documents from memory so that a traffic surge does not multiply storage reads. A crisis'
/// manifest is revalidated at most every <see cref="PublicPagesOptions.RevalidateAfter"/> with a conditional GET
/// (304 when unchanged), by one request at a time; the versioned documents it points to never change and are
/// loaded once. Unknown crises are remembered as unknown for the same interval. When storage cannot be reached
/// to revalidate, the last good copy keeps being served, marked stale (<see cref="IsStale"/>), and storage is
/// asked again after the same interval: readers in a crisis still see the page while storage is away.
/// </summary>
public sealed class PublishedPageCache(CrisisStorage storage, IOptions<PublicPagesOptions> options, TimeProvider time)
{
    private const int MaxRememberedCrises = 10_000;
    private const string IndexKey = "\0index";

    private readonly ConcurrentDictionary<string, Task<Snapshot>> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<CachedDocument?>>> _documents = new(StringComparer.Ordinal);

    public async Task<PageManifest?> GetManifestAsync(string crisisId, CancellationToken cancellationToken) =>
        (PageManifest?)(await GetFreshAsync(crisisId, PagePublisher.ContainerName, PagePublisher.ManifestName(crisisId), ParseManifest, null, cancellationToken)).Value;

    public async Task<PublicIndex> GetIndexAsync(CancellationToken cancellationToken) =>
        (PublicIndex?)(await GetFreshAsync(IndexKey, PagePublisher.ContainerName, PagePublisher.IndexName, ParseIndex, null, cancellationToken)).Value ?? new PublicIndex([]);

    /// <summary>
    /// A document another feature publishes as one blob (a touchpoint's current content), held and revalidated like
    /// a manifest: <paramref name="parse"/> runs once per change, not per request. When the blob does not exist,
    /// <paramref name="publishWhenMissing"/> may publish it (true when it did) before the absence is remembered.
    /// </summary>
    public async Task<T?> GetPublishedAsync<T>(string containerName, string blobName, Func<byte[], T?> parse, Func<Task<bool>>? publishWhenMissing, CancellationToken cancellationToken)
        where T : class =>
        (T?)(await GetFreshAsync(PublishedKey(containerName, blobName), containerName, blobName, parse, publishWhenMissing, cancellationToken)).Value;

    /// <summary>Whether a document read with <see cref="GetPublishedAsync"/> is a last good copy held while storage was unreachable.</summary>
    public bool IsStale(string containerName, string blobName) => IsStaleKey(PublishedKey(containerName, blobName));

    /// <summary>Forgets a document read with <see cref="GetPublishedAsync"/>, so the next read sees what this instance just wrote.</summary>
    public void Invalidate(string containerName, string blobName) => _blobs.TryRemove(PublishedKey(containerName, blobName), out _);

    /// <summary>A versioned document of a published crisis; versions never change, so this reads storage once per instance.</summary>
    public Task<CachedDocument?> GetDocumentAsync(PageManifest manifest, string language, string document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var name = PagePublisher.DocumentName(manifest.CrisisId, manifest.Version, language, document);
        // Shared loads are not cancelled by whichever caller started them; each caller stops waiting on its own token.
        var lazy = _documents.GetOrAdd(name, key => new Lazy<Task<CachedDocument?>>(() => LoadDocumentAsync(key, CancellationToken.None)));
        return AwaitOrForgetAsync(_documents, name, lazy, cancellationToken);
    }

    /// <summary>Whether the crisis' manifest (or the index, for null) is a last good copy held while storage was unreachable.</summary>
    public bool IsStale(string? crisisId) => IsStaleKey(crisisId ?? IndexKey);

    /// <summary>Forgets the manifest, so the next read sees a publish made by this instance at once.</summary>
    public void Invalidate(string crisisId) => _blobs.TryRemove(crisisId, out _);

    public void InvalidateIndex() => _blobs.TryRemove(IndexKey, out _);

    /// <summary>Parses a manifest once per change (not per request) and drops the documents of versions it replaced.</summary>
    private object? ParseManifest(byte[] body)
    {
        var manifest = JsonSerializer.Deserialize<PageManifest>(body, JsonBody.Options);
        if (manifest is not null)
        {
            EvictOlderVersions(manifest.CrisisId, manifest.Version);
        }

        return manifest;
    }

    // Crisis ids never start with a NUL, so these keys cannot meet a manifest's.
    private static string PublishedKey(string containerName, string blobName) => "\0" + containerName + "/" + blobName;

    private bool IsStaleKey(string key) =>
        _blobs.TryGetValue(key, out var held) && held.IsCompletedSuccessfully && held.Result.Stale;

    private static object? ParseIndex(byte[] body) => JsonSerializer.Deserialize<PublicIndex>(body, JsonBody.Options);

    private async Task<Snapshot> GetFreshAsync(string key, string containerName, string blobName, Func<byte[], object?> parse, Func<Task<bool>>? publishWhenMissing, CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = _blobs.GetOrAdd(key, _ =>
            {
                // Only a key not held yet can grow the map, so only its first reader pays for counting it (a
                // ConcurrentDictionary counts under all of its locks, which every request would contend for).
                ForgetUnknownsWhenFull();
                return LoadAsync(containerName, blobName, null, parse, publishWhenMissing);
            });
            Snapshot snapshot;
            try
            {
                snapshot = await current.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch
            {
                _blobs.TryRemove(new KeyValuePair<string, Task<Snapshot>>(key, current));
                throw;
            }

            if (time.GetUtcNow() - snapshot.CheckedAt < options.Value.RevalidateAfter)
            {
                return snapshot;
            }

            // Stale: one caller revalidates, everyone else awaits that same request.
            var refresh = new TaskCompletionSource<Snapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_blobs.TryUpdate(key, refresh.Task, current))
            {
                continue;
            }

            try
            {
                refresh.SetResult(await LoadAsync(containerName, blobName, snapshot, parse, publishWhenMissing));
            }
            catch (StorageUnavailableException) when (snapshot.Value is not null)
            {
                refresh.SetResult(snapshot with { CheckedAt = time.GetUtcNow(), Stale = true });
            }
            catch (Exception e)
            {
                refresh.SetException(e);
                _blobs.TryRemove(new KeyValuePair<string, Task<Snapshot>>(key, refresh.Task));
                throw;
            }

            return await refresh.Task;
        }
    }

    private void ForgetUnknownsWhenFull()
    {
        if (_blobs.Count > MaxRememberedCrises)
        {
            foreach (var unknown in _blobs.Where(b => b.Value.IsCompletedSuccessfully && b.Value.Result.Value is null))
            {
                _blobs.TryRemove(unknown);
            }
        }
    }

    /// <summary>Reads the blob, or only asks whether it changed when a copy is held. Shared by concurrent readers, so never cancelled by one.</summary>
    private async Task<Snapshot> LoadAsync(string containerName, string blobName, Snapshot? previous, Func<byte[], object?> parse, Func<Task<bool>>? publishWhenMissing)
    {
        var container = await storage.ContainerAsync(containerName, CancellationToken.None);
        var conditions = previous is { ETag: var etag } && etag != default ? new BlobRequestConditions { IfNoneMatch = etag } : null;
        var result = await container.GetBlobClient(blobName).ReadIfExistsAsync(conditions, CancellationToken.None);
        if (result is null && publishWhenMissing is not null && await publishWhenMissing())
        {
            result = await container.GetBlobClient(blobName).ReadIfExistsAsync(cancellationToken: CancellationToken.None);
        }

        var now = time.GetUtcNow();
        return result switch
        {
            null => new Snapshot(null, default, now),
            { NotModified: true } => previous! with { CheckedAt = now },
            { Content: var content } when content.ToMemory().Length == 0 => new Snapshot(null, result.ETag, now),
            _ => new Snapshot(parse(result.Content.ToArray()), result.ETag, now),
        };
    }

    private async Task<CachedDocument?> LoadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(PagePublisher.ContainerName, cancellationToken);
        var blob = await container.GetBlobClient(name).ReadIfExistsAsync(cancellationToken: cancellationToken);
        return blob is null ? null : new CachedDocument(blob.Content.ToArray(), blob.ContentType ?? "application/octet-stream");
    }

    private void EvictOlderVersions(string crisisId, int currentVersion)
    {
        var prefix = crisisId + "/v";
        foreach (var key in _documents.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(key.AsSpan(prefix.Length, key.IndexOf('/', prefix.Length) - prefix.Length), out var version)
                && version < currentVersion)
            {
                _documents.TryRemove(key, out _);
            }
        }
    }

    private static async Task<CachedDocument?> AwaitOrForgetAsync(ConcurrentDictionary<string, Lazy<Task<CachedDocument?>>> cache, string key, Lazy<Task<CachedDocument?>> lazy, CancellationToken cancellationToken)
    {
        try
        {
            var document = await lazy.Value.WaitAsync(cancellationToken);
            if (document is null)
            {
                cache.TryRemove(new KeyValuePair<string, Lazy<Task<CachedDocument?>>>(key, lazy));
            }

            return document;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<Task<CachedDocument?>>>(key, lazy));
            throw;
        }
    }

    /// <summary>A parsed blob (null when absent or empty), its ETag, when storage was last asked about it, and whether it could not answer.</summary>
    private sealed record Snapshot(object? Value, ETag ETag, DateTimeOffset CheckedAt, bool Stale = false);
}
