using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Crisis.Functions.PublicPages;

/// <summary>
/// Writes a cached document with its strong ETag and cache headers, or 304 Not Modified when the client's
/// If-None-Match already names it. Content-Language says which language the answer is in; a document that is the
/// same in every language (a script) is not marked as varying with Accept-Language.
/// </summary>
public sealed class CachedDocumentResult(CachedDocument document, string? language, int maxAgeSeconds, bool stale = false, bool varyByLanguage = true) : IResult
{
    public const string StaleCacheStatus = "crisis-functions; hit; detail=storage-unavailable";

    public CachedDocument Document { get; } = document;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.Headers.ETag = Document.ETag;
        response.Headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={maxAgeSeconds}, stale-while-revalidate={maxAgeSeconds * 4}");
        if (varyByLanguage)
        {
            response.Headers.Vary = "Accept-Language";
        }

        if (stale)
        {
            // RFC 9211: this answer is the last good copy, held while storage is unreachable.
            response.Headers["Cache-Status"] = StaleCacheStatus;
        }
        if (language is not null)
        {
            response.Headers.ContentLanguage = language;
        }

        if (Matches(httpContext.Request.Headers.IfNoneMatch, Document.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Document.ContentType;
        response.ContentLength = Document.Body.Length;
        return HttpMethods.IsHead(httpContext.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(Document.Body).AsTask();
    }

    /// <summary>If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.</summary>
    internal static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        // What a cache revalidating its copy sends: the one tag it was given, compared without parsing.
        if (ifNoneMatch.Count == 1 && string.Equals(ifNoneMatch[0], etag, StringComparison.Ordinal))
        {
            return true;
        }

        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || string.Equals(t.Tag.Value, etag, StringComparison.Ordinal));
    }
}
