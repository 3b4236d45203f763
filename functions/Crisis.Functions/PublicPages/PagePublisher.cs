using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.PublicPages;

/// <summary>
/// Publishes what the public reads. Each publish renders a new version of every document (page, FAQ, feed per
/// language) under <c>{id}/v{n}/</c>, then swaps <c>{id}/manifest.json</c> to it: readers see the old version
/// or the new one, never half of one. A lease on the manifest serialises publishes across instances; a publish
/// that crashes leaves an unreferenced version the next one overwrites.
/// </summary>
public sealed class PagePublisher(
    CrisisStorage storage,
    CrisisStore crises,
    ContentStore contents,
    PublishedPageCache cache,
    IOptions<PublicPagesOptions> options,
    TimeProvider time,
    ILogger<PagePublisher> logger)
{
    public const string ContainerName = "pages";
    public const string IndexName = "index.json";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);

    public static string ManifestName(string crisisId) => $"{crisisId}/manifest.json";

    public static string DocumentName(string crisisId, int version, string language, string document) =>
        string.Create(CultureInfo.InvariantCulture, $"{crisisId}/v{version}/{language}/{document}");

    public PublicLinks Links(string crisisId, string language, string? publicPageUrl)
    {
        var baseUrl = options.Value.BaseUrl.AbsoluteUri.TrimEnd('/');
        var api = baseUrl + "/api/crises/" + crisisId;
        var query = "?lang=" + Uri.EscapeDataString(language);
        return new PublicLinks(api + query, api + "/faq" + query, api + "/feed.atom" + query, publicPageUrl,
            baseUrl + Pages.PublicHtml.PagePath(crisisId) + query, baseUrl + Pages.PublicHtml.FaqPath(crisisId) + query);
    }

    /// <summary>Renders and publishes the current published state of the crisis, then the public index.</summary>
    public async Task PublishAsync(string crisisId, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(ContainerName, cancellationToken);
        var manifestBlob = container.GetBlobClient(ManifestName(crisisId));
        await EnsureExistsAsync(manifestBlob, cancellationToken);
        await WithLeaseAsync(manifestBlob, async leaseId =>
        {
            var current = await manifestBlob.ReadAsync(cancellationToken: cancellationToken);
            var previousVersion = current.Content.ToMemory().Length == 0 ? 0 : current.Content.ToObjectFromJson<PageManifest>(JsonBody.Options)!.Version;
            var (crisis, _) = await crises.GetAsync(crisisId, cancellationToken) ?? throw new InvalidOperationException($"Crisis {crisisId} does not exist.");
            var content = (await contents.GetPublishedAsync(crisisId, cancellationToken))?.Document.Content ?? CrisisContent.Empty;
            var updates = await crises.ListUpdatesAsync(crisisId, cancellationToken);
            var version = previousVersion + 1;
            var now = time.GetUtcNow();

            foreach (var language in crisis.Languages)
            {
                var links = Links(crisisId, language, crisis.PublicPageUrl);
                await WriteAsync(container, DocumentName(crisisId, version, language, "page.json"), "application/json; charset=utf-8",
                    JsonSerializer.SerializeToUtf8Bytes(PageRenderer.Page(crisis, content, updates, language, now, links), JsonBody.Options), cancellationToken);
                await WriteAsync(container, DocumentName(crisisId, version, language, "faq.json"), "application/json; charset=utf-8",
                    JsonSerializer.SerializeToUtf8Bytes(PageRenderer.Faq(crisis, content, language), JsonBody.Options), cancellationToken);
                await WriteAsync(container, DocumentName(crisisId, version, language, "feed.atom"), "application/atom+xml; charset=utf-8",
                    PageRenderer.AtomFeed(crisis, updates, language, now, links, options.Value.Publisher), cancellationToken);
            }

            var manifest = new PageManifest(crisisId, version, crisis.Status, crisis.DefaultLanguage, crisis.Languages, now);
            await manifestBlob.WriteAsync(BinaryData.FromObjectAsJson(manifest, JsonBody.Options), "application/json", new BlobRequestConditions { LeaseId = leaseId }, cancellationToken);
            logger.LogInformation("Published crisis {CrisisId} version {Version} ({Status}) in {LanguageCount} languages", crisisId, version, crisis.Status, crisis.Languages.Count);
        }, cancellationToken);

        cache.Invalidate(crisisId);
        await PublishIndexAsync(container, cancellationToken);
    }

    private async Task PublishIndexAsync(BlobContainerClient container, CancellationToken cancellationToken)
    {
        var indexBlob = container.GetBlobClient(IndexName);
        await EnsureExistsAsync(indexBlob, cancellationToken);
        await WithLeaseAsync(indexBlob, async leaseId =>
        {
            var summaries = new List<PublicCrisisSummary>();
            foreach (var crisis in (await crises.ListAsync(cancellationToken)).Where(c => c.IsPublic))
            {
                var manifest = await container.GetBlobClient(ManifestName(crisis.Id)).ReadIfExistsAsync(cancellationToken: cancellationToken);
                if (manifest is { Content: var bytes } && bytes.ToMemory().Length > 0
                    && bytes.ToObjectFromJson<PageManifest>(JsonBody.Options) is { Status: CrisisStatus.Active or CrisisStatus.Ended } published)
                {
                    summaries.Add(new PublicCrisisSummary(crisis.Id, published.Status, crisis.Severity, crisis.Title, crisis.DefaultLanguage, crisis.Languages, published.PublishedAt));
                }
            }

            var ordered = summaries.OrderByDescending(s => s.Severity).ThenByDescending(s => s.PublishedAt).ToList();
            await indexBlob.WriteAsync(BinaryData.FromObjectAsJson(new PublicIndex(ordered), JsonBody.Options), "application/json", new BlobRequestConditions { LeaseId = leaseId }, cancellationToken);
        }, cancellationToken);
        cache.InvalidateIndex();
    }

    private static async Task WriteAsync(BlobContainerClient container, string name, string contentType, byte[] body, CancellationToken cancellationToken) =>
        await container.GetBlobClient(name).WriteAsync(BinaryData.FromBytes(body), contentType, cancellationToken: cancellationToken);

    private static async Task EnsureExistsAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            await blob.WriteAsync(BinaryData.Empty, "application/json", Blobs.CreateOnly, cancellationToken);
        }
        catch (AlreadyExistsException)
        {
            // It exists: someone published before.
        }
        catch (ChangedMeanwhileException)
        {
            // It exists and is leased by a publish under way.
        }
    }

    /// <summary>Runs <paramref name="work"/> holding the blob's lease, waiting up to a lease period for another holder.</summary>
    private async Task WithLeaseAsync(BlobClient blob, Func<string, Task> work, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + LeaseDuration + LeaseDuration;
        string leaseId;
        while (true)
        {
            try
            {
                leaseId = await blob.TakeLeaseAsync(LeaseDuration, cancellationToken);
                break;
            }
            catch (AlreadyExistsException) when (time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(200)), time, cancellationToken);
            }
        }

        try
        {
            await work(leaseId);
        }
        finally
        {
            await blob.ReleaseLeaseAsync(leaseId, CancellationToken.None);
        }
    }
}
