using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.PublicPages;

/// <summary>The rate limit policy of the public reads, and the reading of their <c>?lang=</c>, shared with other public functions.</summary>
public static class PublicApi
{
    public const string ReadPolicy = "public-read";

    /// <summary>
    /// An explicit ?lang= must be a well-formed language tag (else 400); one the crisis does not offer, or no known
    /// language at all, falls back as Accept-Language does, and the answer says which language it is in.
    /// </summary>
    internal static bool TryReadLanguage(string? lang, out string? language, out IResult? problem)
    {
        language = null;
        problem = null;
        if (lang is null)
        {
            return true;
        }

        if (!Languages.IsWellFormed(lang))
        {
            problem = Problems.Create(400, Problems.InvalidQuery, "Malformed language", "lang must be a language tag such as 'en', 'cy' or 'fa' (letters, digits and hyphens, at most 35 characters).");
            return false;
        }

        language = Languages.Normalise(lang) ?? lang;
        return true;
    }
}

/// <summary>
/// The anonymous, read-heavy routes: crisis list, page, FAQ (with search) and Atom feed, in the reader's language.
/// Everything is served from memory (see <see cref="PublishedPageCache"/>) with strong ETags and 304s.
/// </summary>
[Public(PublicApi.ReadPolicy)]
[Tags("Public")]
public sealed class PublicFunctions(PublishedPageCache cache, FaqViews views, IOptions<PublicPagesOptions> options)
{
    private const int MaxQueryLength = 200;

    [Function("ListPublicCrises")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType<PublicCrisisList>(200, "application/json")]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public async Task<IResult> ListCrises(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "crises")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!PublicApi.TryReadLanguage(QueryValues.Text(request, "lang"), out var requested, out var problem))
        {
            return problem!;
        }

        var index = await cache.GetIndexAsync(request.HttpContext.RequestAborted);
        var accept = request.Headers.AcceptLanguage.ToString();
        var items = index.Crises.Select(c =>
        {
            var language = Languages.Negotiate(requested, accept, c.Languages, c.DefaultLanguage);
            return new PublicCrisisListItem(c.Id, c.Status, c.Severity, language, Languages.Direction(language),
                c.Title.GetValueOrDefault(language) ?? c.Title[c.DefaultLanguage], c.PublishedAt,
                options.Value.BaseUrl.AbsoluteUri.TrimEnd('/') + "/api/crises/" + c.Id + "?lang=" + language);
        }).ToList();
        var listLanguage = Languages.Negotiate(requested, accept, [.. index.Crises.SelectMany(c => c.Languages).Distinct()], "en");
        var body = JsonSerializer.SerializeToUtf8Bytes(new PublicCrisisList(listLanguage, items), JsonBody.Options);
        return new CachedDocumentResult(new CachedDocument(body, "application/json; charset=utf-8"), null, options.Value.MaxAgeSeconds, cache.IsStale(null));
    }

    [Function("GetPublicCrisis")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType<PublicPage>(200, "application/json")]
    [ProducesResponseType(304)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public Task<IResult> GetPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "crises/{id}")] HttpRequest request, string id) =>
        ServeAsync(id, "page.json", request);

    /// <summary>The FAQ, or the entries matching the <c>q</c> query; each read counts as a view of the FAQ in its language.</summary>
    [Function("GetPublicFaq")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [QueryParameter("q", "search words")]
    [ProducesResponseType<PublicFaq>(200, "application/json")]
    [ProducesResponseType(304)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public async Task<IResult> GetFaq(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "crises/{id}/faq")] HttpRequest request, string id)
    {
        var q = QueryValues.Text(request, "q");
        if (q is not null && (q.Length > MaxQueryLength || q.Any(char.IsControl) || UnicodeText.Problem(q) is not null))
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid search", $"q must be at most {MaxQueryLength} characters of well-formed text without control characters.");
        }

        var (document, language, problem) = await FindAsync(id, "faq.json", request);
        if (problem is not null)
        {
            return problem;
        }

        views.Count(id, language!);
        if (string.IsNullOrWhiteSpace(q))
        {
            return new CachedDocumentResult(document!, language, options.Value.MaxAgeSeconds, cache.IsStale(id));
        }

        var results = JsonSerializer.SerializeToUtf8Bytes(document!.FaqIndex.Search(q.Trim()), JsonBody.Options);
        return new CachedDocumentResult(new CachedDocument(results, "application/json; charset=utf-8"), language, options.Value.MaxAgeSeconds, cache.IsStale(id));
    }

    [Function("GetPublicFeed")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType(typeof(void), 200, "application/atom+xml")]
    [ProducesResponseType(304)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public Task<IResult> GetFeed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "crises/{id}/feed.atom")] HttpRequest request, string id) =>
        ServeAsync(id, "feed.atom", request);

    private async Task<IResult> ServeAsync(string id, string documentName, HttpRequest request)
    {
        var (document, language, problem) = await FindAsync(id, documentName, request);
        return problem ?? new CachedDocumentResult(document!, language, options.Value.MaxAgeSeconds, cache.IsStale(id));
    }

    private async Task<(CachedDocument? Document, string? Language, IResult? Problem)> FindAsync(string id, string documentName, HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!PublicApi.TryReadLanguage(QueryValues.Text(request, "lang"), out var requested, out var problem))
        {
            return (null, null, problem);
        }

        var manifest = await cache.GetManifestAsync(id, cancellationToken);
        if (manifest is not { Status: CrisisStatus.Active or CrisisStatus.Ended })
        {
            return (null, null, NotFound(id));
        }

        var language = Languages.Negotiate(requested, request.Headers.AcceptLanguage.ToString(), manifest.Languages, manifest.DefaultLanguage);
        var document = await cache.GetDocumentAsync(manifest, language, documentName, cancellationToken);
        return document is null ? (null, null, NotFound(id)) : (document, language, null);
    }

    private static ProblemHttpResult NotFound(string id) =>
        Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{id}'.");
}
