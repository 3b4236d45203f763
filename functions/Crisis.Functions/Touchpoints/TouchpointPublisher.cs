using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Touchpoints;

/// <summary>
/// What a touchpoint shows now, resolved when something it depends on changes and stored as one blob, so that a
/// public read needs no more than that blob: the texts per language, why (normal content or which crisis'
/// override) and, for an override, the crisis' public page per language.
/// </summary>
public sealed record PublishedTouchpoint(
    string TouchpointId,
    TouchpointKind Kind,
    string Source,
    string? CrisisId,
    string Fallback,
    Dictionary<string, string> Texts,
    Dictionary<string, string>? Links);

/// <summary>What the public read answers: the touchpoint's text in one language, and the version a reader can remember it by.</summary>
public sealed record PublicTouchpoint(string TouchpointId, TouchpointKind Kind, string Language, string Dir, string Text, string Source, string? CrisisId, string? Link, string Version);

/// <summary>
/// A published touchpoint as an instance holds it: each language's answer rendered once per change, with its
/// strong ETag already computed, so a 200 writes bytes it has and a 304 compares two strings.
/// </summary>
public sealed class TouchpointView
{
    private readonly Dictionary<string, CachedDocument> _json;
    private readonly Dictionary<string, CachedDocument> _frames;
    private readonly Dictionary<string, CachedDocument> _dismissedFrames;

    public TouchpointView(PublishedTouchpoint published, string version)
    {
        ArgumentNullException.ThrowIfNull(published);
        Published = published;
        Version = version;
        Languages = [.. published.Texts.Keys.Order(StringComparer.Ordinal)];
        _json = Languages.ToDictionary(l => l, l => new CachedDocument(JsonSerializer.SerializeToUtf8Bytes(Answer(l), JsonBody.Options), "application/json; charset=utf-8"), StringComparer.Ordinal);
        _frames = Languages.ToDictionary(l => l, l => TouchpointEmbed.Frame(this, l), StringComparer.Ordinal);
        _dismissedFrames = Languages.ToDictionary(l => l, l => TouchpointEmbed.Frame(this, l, dismissed: true), StringComparer.Ordinal);
    }

    public PublishedTouchpoint Published { get; }

    /// <summary>Changes whenever what the touchpoint shows changes, in any language.</summary>
    public string Version { get; }

    public IReadOnlyList<string> Languages { get; }

    /// <summary>Whether the touchpoint shows a crisis' override now (a banner shows nothing otherwise).</summary>
    public bool IsCrisisOverride => Published.Source == TouchpointSource.CrisisOverride;

    /// <summary>The language to answer in: ?lang=, else Accept-Language, among the texts, else the fallback.</summary>
    public string Negotiate(string? requested, string? acceptLanguage) =>
        Common.Languages.Negotiate(requested, acceptLanguage, Languages, Published.Fallback);

    public CachedDocument Json(string language) => _json[language];

    /// <summary>The banner page to frame, for visitors without script; empty once this version is <paramref name="dismissed"/>.</summary>
    public CachedDocument Frame(string language, string? dismissed = null) => (dismissed == Version ? _dismissedFrames : _frames)[language];

    public PublicTouchpoint Answer(string language) =>
        new(Published.TouchpointId, Published.Kind, language, Common.Languages.Direction(language), Published.Texts[language], Published.Source, Published.CrisisId,
            Published.Links?.GetValueOrDefault(language), Version);
}

/// <summary>
/// Publishes each touchpoint's current content (see <see cref="PublishedTouchpoint"/>) whenever it may have changed:
/// its normal content or an override saved, an override restored or put back, a crisis that overrides it changed
/// (activated, ended, archived, made more severe). Reads go through <see cref="PublishedPageCache"/>: from memory,
/// revalidated by one conditional read per interval. A publish that could not finish (storage went away after the
/// change was written) is repaired by the next one, and at the latest by the expiry timer, which republishes all.
/// </summary>
public sealed class TouchpointPublisher(CrisisStorage storage, TouchpointStore store, CrisisStore crises, PagePublisher pages, PublishedPageCache cache)
{
    private const int MaxAttempts = 5;

    public static string PublishedName(string touchpointId) => touchpointId + "/published.json";

    /// <summary>The touchpoint as published, from memory; publishes one saved before publishing existed; null when there is no such touchpoint.</summary>
    public Task<TouchpointView?> GetAsync(string touchpointId, CancellationToken cancellationToken) =>
        cache.GetPublishedAsync(TouchpointStore.ContainerName, PublishedName(touchpointId), Parse,
            () => PublishAsync(touchpointId, CancellationToken.None), cancellationToken);

    /// <summary>Whether <see cref="GetAsync"/> answered with a last good copy held while storage was unreachable.</summary>
    public bool IsStale(string touchpointId) => cache.IsStale(TouchpointStore.ContainerName, PublishedName(touchpointId));

    /// <summary>Republishes every touchpoint the crisis overrides, after a change to the crisis.</summary>
    public async Task PublishCrisisAsync(string crisisId, CancellationToken cancellationToken)
    {
        foreach (var touchpointId in (await store.OverridesOfCrisisAsync(crisisId, cancellationToken)).Select(o => o.TouchpointId).Distinct(StringComparer.Ordinal))
        {
            await PublishAsync(touchpointId, cancellationToken);
        }
    }

    /// <summary>Republishes every touchpoint; returns how many publications changed.</summary>
    public async Task<int> PublishAllAsync(CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var touchpoint in await store.ListAsync(cancellationToken))
        {
            changed += await WriteAsync(touchpoint.Id, cancellationToken) is true ? 1 : 0;
        }

        return changed;
    }

    /// <summary>Republishes one touchpoint; false when there is no such touchpoint.</summary>
    public async Task<bool> PublishAsync(string touchpointId, CancellationToken cancellationToken) =>
        await WriteAsync(touchpointId, cancellationToken) is not null;

    /// <summary>
    /// Resolves and writes the touchpoint's publication unless it is unchanged: true when written, false when
    /// unchanged, null when there is no such touchpoint. The write is conditional on the publication read before
    /// resolving, and a writer that loses retries with what is current then, so concurrent publishes cannot leave
    /// an older resolution in place of a newer one: everything resolved is read after the publication it replaces.
    /// </summary>
    private async Task<bool?> WriteAsync(string touchpointId, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(TouchpointStore.ContainerName, cancellationToken);
        var blob = container.GetBlobClient(PublishedName(touchpointId));
        for (var attempt = 1; ; attempt++)
        {
            var held = await blob.ReadIfExistsAsync(cancellationToken: cancellationToken);
            if (await store.ResolveAsync(touchpointId, await crises.ListAsync(cancellationToken), cancellationToken) is not { } resolved)
            {
                return null;
            }

            var body = JsonSerializer.SerializeToUtf8Bytes(Render(resolved), JsonBody.Options);
            if (held is not null && held.Content.ToMemory().Span.SequenceEqual(body))
            {
                return false;
            }

            try
            {
                await blob.WriteAsync(BinaryData.FromBytes(body), "application/json", held is null ? Blobs.CreateOnly : new BlobRequestConditions { IfMatch = held.ETag }, cancellationToken);
                cache.Invalidate(TouchpointStore.ContainerName, PublishedName(touchpointId));
                return true;
            }
            catch (Exception e) when (e is ChangedMeanwhileException or AlreadyExistsException && attempt < MaxAttempts)
            {
                // Another instance published meanwhile: resolve again from what is current now.
            }
        }
    }

    private PublishedTouchpoint Render(ResolvedContent resolved)
    {
        var crisis = resolved.Crisis;
        var links = crisis is null
            ? null
            : resolved.Texts.Keys.ToDictionary(l => l, l => pages.Links(crisis.Id, crisis.Languages.Contains(l) ? l : crisis.DefaultLanguage, crisis.PublicPageUrl).Preferred, StringComparer.Ordinal);
        return new PublishedTouchpoint(resolved.Touchpoint.Id, resolved.Touchpoint.Kind, resolved.Source, crisis?.Id, resolved.Fallback,
            new Dictionary<string, string>(resolved.Texts.OrderBy(t => t.Key, StringComparer.Ordinal), StringComparer.Ordinal), links);
    }

    private static TouchpointView? Parse(byte[] body) =>
        body.Length == 0 || JsonSerializer.Deserialize<PublishedTouchpoint>(body, JsonBody.Options) is not { } published
            ? null
            : new TouchpointView(published, CachedDocument.StrongETag(body).Trim('"')[..16]);
}
