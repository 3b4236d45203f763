using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.PublicPages;

/// <summary>
/// The anonymous, read-heavy routes: crisis list, page, FAQ (with search) and Atom feed, in the reader's language.
/// Everything is served from memory (see <see cref="PublishedPageCache"/>) with strong ETags and 304s.
/// </summary>
public static class PublicApi
{
    public const string ReadPolicy = "public-read";
    private const int MaxQueryLength = 200;

    public static RouteGroupBuilder MapPublicPages(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPublicGroup("/api/crises", ReadPolicy, "Public");

        group.MapGet("", ListCrises).AsFunction("ListPublicCrises", FunctionAuthLevel.Anonymous)
            .Produces<PublicCrisisList>(contentType: "application/json").ProducesProblem(400);
        group.MapGet("/{id}", GetPage).AsFunction("GetPublicCrisis", FunctionAuthLevel.Anonymous)
            .Produces<PublicPage>(contentType: "application/json").Produces(304).ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/{id}/faq", GetFaq).AsFunction("GetPublicFaq", FunctionAuthLevel.Anonymous)
            .Produces<PublicFaq>(contentType: "application/json").Produces(304).ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/{id}/feed.atom", GetFeed).AsFunction("GetPublicFeed", FunctionAuthLevel.Anonymous)
            .Produces(200, contentType: "application/atom+xml").Produces(304).ProducesProblem(400).ProducesProblem(404);
        return group;
    }

    public static async Task<IResult> ListCrises([FromQuery] string? lang, HttpRequest request, PublishedPageCache cache, IOptions<PublicPagesOptions> options, CancellationToken cancellationToken)
    {
        if (!TryReadLanguage(lang, out var requested, out var problem))
        {
            return problem!;
        }

        var index = await cache.GetIndexAsync(cancellationToken);
        var accept = request.Headers.AcceptLanguage.ToString();
        var items = index.Crises.Select(c =>
        {
            var language = Languages.Negotiate(requested, accept, c.Languages, c.DefaultLanguage);
            return new PublicCrisisListItem(c.Id, c.Status, c.Severity, language, Languages.Direction(language),
                c.Title.GetValueOrDefault(language) ?? c.Title[c.DefaultLanguage], c.PublishedAt,
                options.Value.BaseUrl.AbsoluteUri.TrimEnd('/') + "/api/crises/" + c.Id + "?lang=" + language);
        }).ToList();
        var listLanguage = requested ?? Languages.Negotiate(null, accept, [.. index.Crises.SelectMany(c => c.Languages).Distinct()], "en");
        var body = JsonSerializer.SerializeToUtf8Bytes(new PublicCrisisList(listLanguage, items), JsonBody.Options);
        return new CachedDocumentResult(new CachedDocument(body, "application/json; charset=utf-8"), null, options.Value.MaxAgeSeconds);
    }

    public static Task<IResult> GetPage(string id, [FromQuery] string? lang, HttpRequest request, PublishedPageCache cache, IOptions<PublicPagesOptions> options, CancellationToken cancellationToken) =>
        ServeAsync(id, lang, "page.json", request, cache, options.Value, cancellationToken);

    public static Task<IResult> GetFeed(string id, [FromQuery] string? lang, HttpRequest request, PublishedPageCache cache, IOptions<PublicPagesOptions> options, CancellationToken cancellationToken) =>
        ServeAsync(id, lang, "feed.atom", request, cache, options.Value, cancellationToken);

    /// <summary>The FAQ, or the entries matching <paramref name="q"/>; each read counts as a view of the FAQ in its language.</summary>
    public static async Task<IResult> GetFaq(
        string id, [FromQuery] string? lang, [FromQuery] string? q, HttpRequest request, PublishedPageCache cache, FaqViews views, IOptions<PublicPagesOptions> options, CancellationToken cancellationToken)
    {
        if (q is not null && (q.Length > MaxQueryLength || q.Any(char.IsControl)))
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid search", $"q must be at most {MaxQueryLength} characters without control characters.");
        }

        var (document, language, problem) = await FindAsync(id, lang, "faq.json", request, cache, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        views.Count(id, language!);
        if (string.IsNullOrWhiteSpace(q))
        {
            return new CachedDocumentResult(document!, language, options.Value.MaxAgeSeconds);
        }

        var results = JsonSerializer.SerializeToUtf8Bytes(document!.FaqIndex.Search(q.Trim()), JsonBody.Options);
        return new CachedDocumentResult(new CachedDocument(results, "application/json; charset=utf-8"), language, options.Value.MaxAgeSeconds);
    }

    private static async Task<IResult> ServeAsync(string id, string? lang, string documentName, HttpRequest request, PublishedPageCache cache, PublicPagesOptions options, CancellationToken cancellationToken)
    {
        var (document, language, problem) = await FindAsync(id, lang, documentName, request, cache, cancellationToken);
        return problem ?? new CachedDocumentResult(document!, language, options.MaxAgeSeconds);
    }

    private static async Task<(CachedDocument? Document, string? Language, IResult? Problem)> FindAsync(
        string id, string? lang, string documentName, HttpRequest request, PublishedPageCache cache, CancellationToken cancellationToken)
    {
        if (!TryReadLanguage(lang, out var requested, out var problem))
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

    /// <summary>An explicit ?lang= must be a real language tag; one the crisis does not offer falls back to its default.</summary>
    internal static bool TryReadLanguage(string? lang, out string? language, out IResult? problem)
    {
        language = null;
        problem = null;
        if (lang is null)
        {
            return true;
        }

        language = Languages.Normalise(lang);
        if (language is null)
        {
            problem = Problems.Create(400, Problems.InvalidQuery, "Unknown language", "lang must be a language tag such as 'en', 'cy' or 'fa'.");
            return false;
        }

        return true;
    }
}
