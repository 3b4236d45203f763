using System.Net;
using System.Text;
using Crisis.Functions.Common;
using Crisis.Functions.Messages;

namespace Crisis.Functions.Pages;

/// <summary>
/// The one layout every HTML page of the app shares: language and direction on the root, the viewport, the
/// shared stylesheet (the only resource a page loads, from this origin), a skip link to the main content, and the
/// headers that go with it. Bodies are built by the feature that owns the page, with <see cref="Encode"/> on every value.
/// </summary>
public static class HtmlPage
{
    /// <summary>
    /// Only this origin's stylesheet and scripts, no inline code, forms that post only here, never framed; the same
    /// for every page so that a page cannot be weakened by the feature that renders it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>What a page is: its language, title (plain text), the HTML inside <c>main</c>, and an optional script of this origin.</summary>
    public sealed record Content(string Language, string Title, string Main)
    {
        /// <summary>A small progressive-enhancement script served by this app (pages work without it).</summary>
        public string? Script { get; init; }

        /// <summary>Search engines leave pages reached from personal links alone.</summary>
        public bool NoIndex { get; init; }
    }

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The whole document for <paramref name="content"/>.</summary>
    public static string Render(Content content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var language = content.Language;
        var html = new StringBuilder(1024 + content.Main.Length);
        html.Append("<!doctype html><html lang=\"").Append(Encode(language)).Append("\" dir=\"").Append(Languages.Direction(language)).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"color-scheme\" content=\"light dark\">");
        if (content.NoIndex)
        {
            html.Append("<meta name=\"robots\" content=\"noindex\">");
        }

        html.Append("<title>").Append(Encode(content.Title)).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(PageAssets.StylesheetUrl).Append("\">");
        if (content.Script is { } script)
        {
            html.Append("<script defer src=\"").Append(Encode(script)).Append("\"></script>");
        }

        html.Append("</head><body><a class=\"skip\" href=\"#main\">").Append(Encode(MessageCatalogue.Text(MessageKeys.PageSkipToContent, language))).Append("</a>")
            .Append("<main id=\"main\" tabindex=\"-1\">").Append(content.Main).Append("</main></body></html>");
        return html.ToString();
    }

    public const string ContentType = "text/html; charset=utf-8";

    /// <summary>The headers every page is sent with, whoever writes its body (the policy above, no type sniffing).</summary>
    public static void SetHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>
    /// The page for a request the rate limit refused before it ran: status 429, in the reader's language (?lang=, else
    /// Accept-Language, among the catalogue's), saying how long to wait (the caller sets Retry-After to the same).
    /// </summary>
    public static HtmlResult TooManyRequests(HttpRequest request, int retryAfterSeconds)
    {
        ArgumentNullException.ThrowIfNull(request);
        var language = MessageCatalogue.Negotiate(Hosting.QueryValues.Text(request, "lang"), request.Headers.AcceptLanguage.ToString());
        var title = MessageCatalogue.Text(MessageKeys.PageTooManyTitle, language);
        var text = MessageCatalogue.Text(MessageKeys.PageTooManyText, language, ("seconds", MessageCatalogue.Number(retryAfterSeconds, language)));
        return Result(429, new Content(language, title, $"<h1>{Encode(title)}</h1><p role=\"alert\">{Encode(text)}</p>") { NoIndex = true });
    }

    /// <summary>An HTML response: the document with its status, its language and the page headers.</summary>
    public static HtmlResult Result(int status, Content content) => new(status, content.Language, Render(content));

    /// <summary>A rendered page; a typed result, so an operation that answers browsers with a page and API clients with JSON keeps its declared JSON responses.</summary>
    public sealed class HtmlResult(int status, string language, string document) : IResult
    {

        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = ContentType;
            SetHeaders(response);
            response.Headers.ContentLanguage = language;
            return response.WriteAsync(document, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
