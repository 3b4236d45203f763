using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Azure;
using Azure.Core;

namespace Crisis.Functions.Storage.Blobs;

/// <summary>Conditions on a blob request: If-Match / If-None-Match (use <see cref="ETag.All"/> with IfNoneMatch for create-only) and a lease.</summary>
public sealed record BlobRequestConditions(ETag? IfMatch = null, ETag? IfNoneMatch = null, string? LeaseId = null);

/// <summary>What a blob write answered.</summary>
public sealed record BlobInfo(ETag ETag, DateTimeOffset? LastModified);

/// <summary>A downloaded blob, or <see cref="NotModified"/> when If-None-Match matched the current ETag.</summary>
public sealed record BlobDownloadResult(BinaryData Content, string? ContentType, ETag ETag, DateTimeOffset? LastModified, bool NotModified);

/// <summary>One entry of a blob listing.</summary>
public sealed record BlobItem(string Name, ETag ETag, DateTimeOffset? LastModified, long ContentLength, string? ContentType);

/// <summary>The Blob service of one account.</summary>
public sealed class BlobServiceClient(StoragePipeline pipeline)
{
    public StoragePipeline Pipeline { get; } = pipeline;

    public BlobContainerClient GetBlobContainerClient(string name) => new(Pipeline, name);
}

/// <summary>One container; method names follow Azure.Storage.Blobs' BlobContainerClient.</summary>
public sealed partial class BlobContainerClient
{
    public const int MaxPageSize = 5000;

    internal BlobContainerClient(StoragePipeline pipeline, string name)
    {
        if (name is null || name.Length is < 3 or > 63 || !ContainerName().IsMatch(name) || name.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid container name.", nameof(name));
        }

        Pipeline = pipeline;
        Name = name;
    }

    public string Name { get; }

    internal StoragePipeline Pipeline { get; }

    public BlobClient GetBlobClient(string blobName) => new(this, blobName);

    /// <summary>Creates the container (private: no anonymous access); true when created, false when it existed.</summary>
    public async Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Pipeline.CreateMessage(RequestMethod.Put, Name);
        message.Request.Uri.AppendQuery("restype", "container");
        var response = await Pipeline.SendAsync(message, $"Create container {Name}", cancellationToken, 201, 409);
        return response.Status == 201;
    }

    /// <summary>True when the container exists; throws when storage cannot be reached or refuses the credential.</summary>
    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Pipeline.CreateMessage(RequestMethod.Head, Name);
        message.Request.Uri.AppendQuery("restype", "container");
        var response = await Pipeline.SendAsync(message, $"Read container {Name}", cancellationToken, 200, 404);
        return response.Status == 200;
    }

    public async Task DeleteAsync(CancellationToken cancellationToken = default)
    {
        using var message = Pipeline.CreateMessage(RequestMethod.Delete, Name);
        message.Request.Uri.AppendQuery("restype", "container");
        await Pipeline.SendAsync(message, $"Delete container {Name}", cancellationToken, 202, 404);
    }

    /// <summary>Every blob whose name starts with <paramref name="prefix"/>, in name order, following continuation markers.</summary>
    public async IAsyncEnumerable<BlobItem> GetBlobsAsync(string? prefix = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), $"A page holds 1 to {MaxPageSize} blobs.");
        }

        string? marker = null;
        do
        {
            using var message = Pipeline.CreateMessage(RequestMethod.Get, Name);
            var uri = message.Request.Uri;
            uri.AppendQuery("restype", "container");
            uri.AppendQuery("comp", "list");
            if (!string.IsNullOrEmpty(prefix))
            {
                uri.AppendQuery("prefix", prefix, escapeValue: true);
            }

            if (pageSize is { } size)
            {
                uri.AppendQuery("maxresults", size.ToString(CultureInfo.InvariantCulture));
            }

            if (marker is not null)
            {
                uri.AppendQuery("marker", marker, escapeValue: true);
            }

            var response = await Pipeline.SendAsync(message, $"List blobs in {Name}", cancellationToken, 200);
            var root = XDocument.Parse(response.Content.ToString()).Root!;
            foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
            {
                var properties = blob.Element("Properties");
                yield return new BlobItem(
                    blob.Element("Name")!.Value,
                    new ETag(properties?.Element("Etag")?.Value ?? ""),
                    DateTimeOffset.TryParse(properties?.Element("Last-Modified")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modified) ? modified : null,
                    long.TryParse(properties?.Element("Content-Length")?.Value, CultureInfo.InvariantCulture, out var length) ? length : 0,
                    properties?.Element("Content-Type")?.Value);
            }

            marker = root.Element("NextMarker")?.Value;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\z")]
    private static partial Regex ContainerName();
}

/// <summary>One block blob; method names follow Azure.Storage.Blobs' BlobClient.</summary>
public sealed class BlobClient
{
    public const int MaxNameLength = 1024;

    internal BlobClient(BlobContainerClient container, string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.EndsWith('/') || name.EndsWith('.') || name.Any(char.IsControl))
        {
            throw new ArgumentException($"'{name}' is not a valid blob name.", nameof(name));
        }

        Container = container;
        Name = name;
    }

    public string Name { get; }

    internal BlobContainerClient Container { get; }

    internal StoragePipeline Pipeline => Container.Pipeline;

    internal string Path => Container.Name + "/" + string.Join('/', Name.Split('/').Select(Uri.EscapeDataString));

    public BlobLeaseClient GetBlobLeaseClient(string? leaseId = null) => new(this, leaseId ?? Guid.NewGuid().ToString());

    /// <summary>Writes the whole blob. With <c>IfNoneMatch = ETag.All</c> it only creates; with IfMatch it only replaces that version.</summary>
    public async Task<BlobInfo> UploadAsync(BinaryData content, string contentType = "application/octet-stream", BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var message = Pipeline.CreateMessage(RequestMethod.Put, Path);
        var request = message.Request;
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        request.Headers.Add("Content-Type", contentType);
        AddConditions(request, conditions);
        request.Content = RequestContent.Create(content);
        var response = await Pipeline.SendAsync(message, $"Write blob {Container.Name}/{Name}", cancellationToken, 201);
        return new BlobInfo(StoragePipeline.ReadETag(response), StoragePipeline.ReadLastModified(response));
    }

    /// <summary>Reads the blob; <see cref="StorageNotFoundException"/> when it does not exist.</summary>
    public async Task<BlobDownloadResult> DownloadContentAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default) =>
        await DownloadContentIfExistsAsync(conditions, cancellationToken)
        ?? throw StorageRequestException.Create(404, "BlobNotFound", null, $"Read blob {Container.Name}/{Name}");

    /// <summary>Reads the blob, or null when it does not exist.</summary>
    public async Task<BlobDownloadResult?> DownloadContentIfExistsAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        using var message = Pipeline.CreateMessage(RequestMethod.Get, Path);
        AddConditions(message.Request, conditions);
        var response = await Pipeline.SendAsync(message, $"Read blob {Container.Name}/{Name}", cancellationToken, 200, 304, 404);
        if (response.Status == 404)
        {
            return null;
        }

        response.Headers.TryGetValue("Content-Type", out var contentType);
        var etag = StoragePipeline.ReadETag(response);
        if (response.Status == 304 && etag == default && conditions?.IfNoneMatch is { } matched)
        {
            // A 304 need not repeat the ETag: it is the one that matched.
            etag = matched;
        }

        return new BlobDownloadResult(
            response.Status == 304 ? BinaryData.Empty : response.Content,
            contentType,
            etag,
            StoragePipeline.ReadLastModified(response),
            response.Status == 304);
    }

    /// <summary>Deletes the blob; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        using var message = Pipeline.CreateMessage(RequestMethod.Delete, Path);
        AddConditions(message.Request, conditions);
        var response = await Pipeline.SendAsync(message, $"Delete blob {Container.Name}/{Name}", cancellationToken, 202, 404);
        return response.Status == 202;
    }

    private static void AddConditions(Request request, BlobRequestConditions? conditions)
    {
        if (conditions is null)
        {
            return;
        }

        if (conditions.IfMatch is { } ifMatch)
        {
            request.Headers.Add("If-Match", ifMatch.ToString());
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch)
        {
            request.Headers.Add("If-None-Match", ifNoneMatch.ToString());
        }

        if (conditions.LeaseId is { } leaseId)
        {
            request.Headers.Add("x-ms-lease-id", leaseId);
        }
    }
}

/// <summary>A lease on a blob, used as a lock; method names follow Azure.Storage.Blobs' BlobLeaseClient.</summary>
public sealed class BlobLeaseClient
{
    /// <summary>Pass as the duration for a lease that never expires on its own.</summary>
    public static readonly TimeSpan InfiniteDuration = TimeSpan.FromSeconds(-1);

    private readonly BlobClient _blob;

    internal BlobLeaseClient(BlobClient blob, string leaseId)
    {
        _blob = blob;
        LeaseId = leaseId;
    }

    public string LeaseId { get; private set; }

    /// <summary>Takes the lease for 15-60 s (or infinite); <see cref="StorageConflictException"/> while someone else holds it.</summary>
    public async Task AcquireAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (duration != InfiniteDuration && (duration < TimeSpan.FromSeconds(15) || duration > TimeSpan.FromSeconds(60)))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "A blob lease lasts 15 to 60 seconds, or is infinite.");
        }

        var answer = await SendAsync("acquire", 201, request =>
        {
            request.Headers.Add("x-ms-lease-duration", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("x-ms-proposed-lease-id", LeaseId);
        }, cancellationToken);
        LeaseId = answer.LeaseId ?? LeaseId;
    }

    public Task RenewAsync(CancellationToken cancellationToken = default) =>
        SendAsync("renew", 200, request => request.Headers.Add("x-ms-lease-id", LeaseId), cancellationToken);

    public Task ReleaseAsync(CancellationToken cancellationToken = default) =>
        SendAsync("release", 200, request => request.Headers.Add("x-ms-lease-id", LeaseId), cancellationToken);

    /// <summary>Ends whoever's lease it is, at once or after <paramref name="breakPeriod"/>; returns the time left until it can be taken.</summary>
    public async Task<TimeSpan> BreakAsync(TimeSpan? breakPeriod = null, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync("break", 202, request =>
        {
            if (breakPeriod is { } period)
            {
                request.Headers.Add("x-ms-lease-break-period", ((int)period.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            }
        }, cancellationToken);
        return TimeSpan.FromSeconds(answer.LeaseTimeSeconds ?? 0);
    }

    private async Task<(string? LeaseId, int? LeaseTimeSeconds)> SendAsync(string action, int expected, Action<Request> configure, CancellationToken cancellationToken)
    {
        using var message = _blob.Pipeline.CreateMessage(RequestMethod.Put, _blob.Path);
        message.Request.Uri.AppendQuery("comp", "lease");
        message.Request.Headers.Add("x-ms-lease-action", action);
        configure(message.Request);
        var response = await _blob.Pipeline.SendAsync(message, $"Lease {action} on {_blob.Container.Name}/{_blob.Name}", cancellationToken, expected);
        response.Headers.TryGetValue("x-ms-lease-id", out var leaseId);
        return (leaseId, response.Headers.TryGetValue("x-ms-lease-time", out var seconds) && int.TryParse(seconds, CultureInfo.InvariantCulture, out var s) ? s : null);
    }
}
