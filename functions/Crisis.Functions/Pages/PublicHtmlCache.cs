using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.PublicPages;

namespace Crisis.Functions.Pages;

/// <summary>
/// The HTML of the public pages, rendered once from a published JSON document and then served from memory with
/// its own strong ETag, like the JSON. A rendering lives as long as the document it was made from (a new published
/// version replaces both), and is made again after <see cref="RenderedFor"/>: the forms on it carry a
/// <see cref="FormGuard"/> token, and a page served from memory must leave a reader most of that token's lifetime.
/// </summary>
public sealed class PublicHtmlCache(TimeProvider time)
{
    /// <summary>An eighth of the form token's lifetime: a page read just before it is rendered again still has seven eighths left to be filled in.</summary>
    public static readonly TimeSpan RenderedFor = FormGuard.Lifetime / 8;

    private readonly ConditionalWeakTable<CachedDocument, Rendered> _rendered = [];

    /// <summary>The HTML made from <paramref name="source"/> by <paramref name="render"/>, held while it is fresh.</summary>
    public CachedDocument Get(CachedDocument source, Func<string> render)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(render);
        var now = time.GetUtcNow();
        if (_rendered.TryGetValue(source, out var held) && now - held.At < RenderedFor)
        {
            return held.Html;
        }

        // Two readers may render the same page at once; both results are the same page, and the last one is kept.
        var fresh = new Rendered(new CachedDocument(Encoding.UTF8.GetBytes(render()), HtmlPage.ContentType), now);
        _rendered.AddOrUpdate(source, fresh);
        return fresh.Html;
    }

    /// <summary>The page document a published page.json holds.</summary>
    public static PublicPage ReadPage(CachedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return JsonSerializer.Deserialize<PublicPage>(document.Body, JsonBody.Options)!;
    }

    public static PublicFaq ReadFaq(CachedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return JsonSerializer.Deserialize<PublicFaq>(document.Body, JsonBody.Options)!;
    }

    private sealed record Rendered(CachedDocument Html, DateTimeOffset At);
}

/// <summary>A page held in memory, sent as <see cref="CachedDocumentResult"/> sends the JSON (ETag, 304, Cache-Control) with the page headers.</summary>
public sealed class CachedPageResult(CachedDocumentResult document) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        HtmlPage.SetHeaders(httpContext.Response);
        return document.ExecuteAsync(httpContext);
    }
}
