using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Pages;

/// <summary>
/// The public crisis page, its FAQ and the crisis list in HTML at short addresses (<c>/api/c/{id}</c>), in the
/// reader's language (?lang=, else Accept-Language, else the crisis' default), served from memory like the JSON.
/// The forms on them post here through <see cref="FormGuard"/> to the same logic as the JSON routes, and answer
/// with a page: a refused form comes back with the problem's message next to each field it names.
/// </summary>
[Public(PublicApi.ReadPolicy)]
[Tags("Pages")]
public sealed class PublicPageFunctions(
    PublishedPageCache cache, PublicHtmlCache html, FormGuard guard, FaqViews views, SubscriptionsFunctions subscriptions, FeedbackPublicFunctions feedback,
    IOptions<PublicPagesOptions> options)
{
    private const int MaxQueryLength = 200;

    [Function("GetCrisisIndexPage")]
    [EndpointSummary("The list of public crises as a page.")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType(typeof(void), 200, HtmlPage.ContentType)]
    public async Task<IResult> Index([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "c")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var index = await cache.GetIndexAsync(request.HttpContext.RequestAborted);
        var requested = RequestedLanguage(request);
        var accept = request.Headers.AcceptLanguage.ToString();
        var languages = index.Crises.SelectMany(c => c.Languages).Distinct().ToList();
        var language = Languages.Negotiate(requested, accept, languages, MessageCatalogue.Neutral);
        var items = index.Crises.Select(c =>
        {
            var itemLanguage = Languages.Negotiate(requested ?? language, accept, c.Languages, c.DefaultLanguage);
            return new PublicCrisisListItem(c.Id, c.Status, c.Severity, itemLanguage, Languages.Direction(itemLanguage),
                c.Title.GetValueOrDefault(itemLanguage) ?? c.Title[c.DefaultLanguage], c.PublishedAt, PublicHtml.PagePath(c.Id));
        }).ToList();
        var document = new PublicPages.CachedDocument(System.Text.Encoding.UTF8.GetBytes(HtmlPage.Render(PublicHtml.Index(language, items, languages))), HtmlPage.ContentType);
        return new CachedPageResult(new CachedDocumentResult(document, language, options.Value.MaxAgeSeconds, cache.IsStale(null)));
    }

    [Function("GetCrisisPage")]
    [EndpointSummary("The public crisis page: channels by need, updates, key dates, policies, resources, the FAQ search and the subscribe form.")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [ProducesResponseType(typeof(void), 200, HtmlPage.ContentType)]
    [ProducesResponseType(304)]
    [ProducesResponseType(typeof(void), 404, HtmlPage.ContentType)]
    public async Task<IResult> Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "c/{id}")] HttpRequest request, string id)
    {
        var found = await FindAsync(request, id, "page.json");
        if (found.Document is not { } document)
        {
            return found.NotFound!;
        }

        var page = html.Get(document, () => HtmlPage.Render(PublicHtml.CrisisPage(PublicHtmlCache.ReadPage(document), guard)));
        return new CachedPageResult(new CachedDocumentResult(page, found.Language, options.Value.MaxAgeSeconds, cache.IsStale(id)));
    }

    /// <summary>The FAQ, or the entries matching <c>q</c>; each read counts as a view of the FAQ in its language, as the JSON FAQ does.</summary>
    [Function("GetCrisisFaqPage")]
    [EndpointSummary("The crisis' questions and answers as a page, with search, \"was this helpful?\" and the form to ask a question.")]
    [QueryParameter("lang", "the language to read, e.g. en, cy or fa")]
    [QueryParameter("q", "search words")]
    [ProducesResponseType(typeof(void), 200, HtmlPage.ContentType)]
    [ProducesResponseType(304)]
    [ProducesResponseType(typeof(void), 400, HtmlPage.ContentType)]
    [ProducesResponseType(typeof(void), 404, HtmlPage.ContentType)]
    public async Task<IResult> Faq([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "c/{id}/faq")] HttpRequest request, string id)
    {
        var found = await FindAsync(request, id, "page.json");
        if (found.Document is not { } pageDocument)
        {
            return found.NotFound!;
        }

        var language = found.Language!;
        var page = PublicHtmlCache.ReadPage(pageDocument);
        var q = QueryValues.Text(request, "q")?.Trim();
        if (q is not null && (q.Length > MaxQueryLength || q.Any(char.IsControl)))
        {
            return HtmlPage.Result(400, PublicHtml.Refused(language, $"q must be at most {MaxQueryLength} characters without control characters.", PublicHtml.FaqPath(id) + "?lang=" + language, page.Title));
        }

        var faqDocument = await cache.GetDocumentAsync(found.Manifest!, language, "faq.json", request.HttpContext.RequestAborted);
        if (faqDocument is null)
        {
            return HtmlPage.Result(404, PublicHtml.NotFound(language));
        }

        views.Count(id, language);
        if (string.IsNullOrEmpty(q))
        {
            var faqPage = html.Get(faqDocument, () => HtmlPage.Render(PublicHtml.FaqPage(page, PublicHtmlCache.ReadFaq(faqDocument), guard)));
            return new CachedPageResult(new CachedDocumentResult(faqPage, language, options.Value.MaxAgeSeconds, cache.IsStale(id)));
        }

        var results = HtmlPage.Render(PublicHtml.FaqPage(page, faqDocument.FaqIndex.Search(q), guard));
        return new CachedPageResult(new CachedDocumentResult(new PublicPages.CachedDocument(System.Text.Encoding.UTF8.GetBytes(results), HtmlPage.ContentType), language, options.Value.MaxAgeSeconds, cache.IsStale(id)));
    }

    /// <summary>The subscribe form: read through the form guard, then subscribed exactly as POST /api/subscriptions (to this crisis).</summary>
    [Function("SubscribeFromPage")]
    [Public(SubscriptionsFunctions.SubscribePolicy)]
    [PageForm("email", "phone", "language", "topics")]
    [EndpointSummary("The crisis page's subscribe form (email or phone, language, topics); answers with a page.")]
    public async Task<IResult> Subscribe([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "c/{id}/subscribe")] HttpRequest request, string id)
    {
        var posted = await ReadPageFormAsync(request, id, PublicHtml.PagePath(id), PublicHtml.SubscribePath(id));
        if (posted.Refused is { } refusedPage)
        {
            return refusedPage;
        }

        var (page, form, language, back) = (posted.Page!, posted.Form!, posted.Found.Language!, posted.Back!);

        var topics = form["topics"].OfType<string>().ToList();
        var input = new SubscribeRequest(Email: Field(form, "email"), Phone: Field(form, "phone"), Scope: id, Language: Field(form, "language"), Topics: topics.Count == 0 ? null : topics);
        var answer = (await subscriptions.SubscribeFromFormAsync(input, request)).Result;
        if (answer is Accepted<SubscribeAccepted>)
        {
            return HtmlPage.Result(200, PublicHtml.Answer(language, MessageKeys.PublicSubscribeSentTitle, MessageKeys.PublicSubscribeSentText, back, page.Title));
        }

        var values = new Dictionary<string, string>
        {
            ["email"] = form["email"].ToString(),
            ["phone"] = form["phone"].ToString(),
            ["language"] = form["language"].ToString(),
            ["topics"] = string.Join(',', topics),
        };
        return ErrorsOf(answer) is { } errors
            ? HtmlPage.Result(StatusOf(answer), PublicHtml.CrisisPage(page, guard, new FormErrors(new Dictionary<string, string[]>(errors), values)))
            : Refused((ProblemHttpResult)answer, language, back, page.Title);
    }

    /// <summary>The FAQ page's "ask a question" form, taken exactly as POST /api/crises/{id}/questions.</summary>
    [Function("AskFromPage")]
    [Public(FeedbackApi.WritePolicy)]
    [PageForm("text", "contact", "language")]
    [EndpointSummary("The FAQ page's form to ask a question; answers with a page.")]
    public async Task<IResult> Ask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "c/{id}/questions")] HttpRequest request, string id)
    {
        var posted = await ReadPageFormAsync(request, id, PublicHtml.FaqPath(id), PublicHtml.AskPath(id));
        if (posted.Refused is { } refusedPage)
        {
            return refusedPage;
        }

        var (page, form, language, back) = (posted.Page!, posted.Form!, posted.Found.Language!, posted.Back!);

        var answer = (await feedback.AskAsync(id, new QuestionRequest(form["text"].ToString(), language, Field(form, "contact")), request)).Result;
        if (answer is Accepted<Received>)
        {
            return HtmlPage.Result(200, PublicHtml.Answer(language, MessageKeys.PublicAskSentTitle, MessageKeys.PublicAskSentText, back, page.Title));
        }

        if (ErrorsOf(answer) is { } errors
            && await cache.GetDocumentAsync(posted.Found.Manifest!, language, "faq.json", request.HttpContext.RequestAborted) is { } faq)
        {
            var values = new Dictionary<string, string> { ["text"] = form["text"].ToString(), ["contact"] = form["contact"].ToString() };
            return HtmlPage.Result(StatusOf(answer), PublicHtml.FaqPage(page, PublicHtmlCache.ReadFaq(faq), guard, new FormErrors(new Dictionary<string, string[]>(errors), values)));
        }

        return Refused((IStatusCodeHttpResult)answer, language, back, page.Title);
    }

    /// <summary>A "was this helpful?" button, recorded exactly as POST /api/crises/{id}/faq/{entryId}/votes.</summary>
    [Function("VoteFromPage")]
    [Public(FeedbackApi.WritePolicy)]
    [PageForm("helpful")]
    [EndpointSummary("The FAQ page's \"was this helpful?\" buttons; answers with a page.")]
    public async Task<IResult> Vote([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "c/{id}/faq/{entryId}/votes")] HttpRequest request, string id, string entryId)
    {
        var posted = await ReadPageFormAsync(request, id, PublicHtml.FaqPath(id), PublicHtml.VotePath(id, entryId));
        if (posted.Refused is { } refusedPage)
        {
            return refusedPage;
        }

        var (page, form, language, back) = (posted.Page!, posted.Form!, posted.Found.Language!, posted.Back!);

        if (!bool.TryParse(form["helpful"].ToString(), out var helpful))
        {
            return HtmlPage.Result(400, PublicHtml.Refused(language, "helpful must be true or false.", back, page.Title));
        }

        var answer = (await feedback.VoteAsync(id, entryId, new VoteRequest(helpful, language), request)).Result;
        return answer is Accepted<Received>
            ? HtmlPage.Result(200, PublicHtml.Answer(language, MessageKeys.PublicVoteTitle, MessageKeys.PublicVoteText, back, page.Title))
            : Refused((IStatusCodeHttpResult)answer, language, back, page.Title);
    }

    /// <summary>
    /// A public page's form: the crisis' published page in the reader's language, then the form through the guard for
    /// <paramref name="action"/>; else the page to answer (none, or the form refused). <c>Back</c> is the page the form was on.
    /// </summary>
    private async Task<PostedForm> ReadPageFormAsync(HttpRequest request, string id, string pagePath, string action)
    {
        var found = await FindAsync(request, id, "page.json");
        if (found.Document is not { } document)
        {
            return new PostedForm(found, null, null, null, found.NotFound);
        }

        var page = PublicHtmlCache.ReadPage(document);
        var back = pagePath + "?lang=" + found.Language;
        var (form, refused) = await guard.ReadAsync(request, action, request.HttpContext.RequestAborted);
        return form is null
            ? new PostedForm(found, page, null, back, Refused(refused!, found.Language!, back, page.Title))
            : new PostedForm(found, page, form, back, null);
    }

    private static string? RequestedLanguage(HttpRequest request) =>
        QueryValues.Text(request, "lang") is { } lang && Languages.IsWellFormed(lang) ? Languages.Normalise(lang) ?? lang : null;

    /// <summary>The published document of a public crisis in the reader's language, or the page saying there is none.</summary>
    private async Task<Found> FindAsync(HttpRequest request, string id, string documentName)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requested = RequestedLanguage(request);
        var accept = request.Headers.AcceptLanguage.ToString();
        var manifest = await cache.GetManifestAsync(id, request.HttpContext.RequestAborted);
        if (manifest is not { Status: CrisisStatus.Active or CrisisStatus.Ended })
        {
            return new Found(null, null, null, HtmlPage.Result(404, PublicHtml.NotFound(MessageCatalogue.Negotiate(requested, accept))));
        }

        var language = Languages.Negotiate(requested, accept, manifest.Languages, manifest.DefaultLanguage);
        var document = await cache.GetDocumentAsync(manifest, language, documentName, request.HttpContext.RequestAborted);
        return document is null
            ? new Found(null, null, null, HtmlPage.Result(404, PublicHtml.NotFound(language)))
            : new Found(manifest, document, language, null);
    }

    private static string? Field(IFormCollection form, string name) => form[name].ToString().Trim() is { Length: > 0 } value ? value : null;

    /// <summary>The fields a refused request named, whichever way it was refused (a validation problem, or a contract problem with errors).</summary>
    private static IDictionary<string, string[]>? ErrorsOf(IResult answer) => answer switch
    {
        ValidationProblem validation => validation.ProblemDetails.Errors,
        ProblemHttpResult { ProblemDetails: HttpValidationProblemDetails details } => details.Errors,
        _ => null,
    };

    private static int StatusOf(IResult answer) => (answer as IStatusCodeHttpResult)?.StatusCode ?? 400;

    private static HtmlPage.HtmlResult Refused(IStatusCodeHttpResult problem, string language, string back, string title)
    {
        var detail = problem switch
        {
            ProblemHttpResult p => p.ProblemDetails.Detail ?? p.ProblemDetails.Title ?? "",
            ValidationProblem v => v.ProblemDetails.Detail ?? "",
            _ => "",
        };
        return HtmlPage.Result(problem.StatusCode ?? 400, PublicHtml.Refused(language, detail, back, title));
    }

    private sealed record Found(PageManifest? Manifest, PublicPages.CachedDocument? Document, string? Language, IResult? NotFound);

    private sealed record PostedForm(Found Found, PublicPage? Page, IFormCollection? Form, string? Back, IResult? Refused);
}
