using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Pages;

/// <summary>
/// Cross-site request forgery protection for every HTML form of the app. A form carries a signed, expiring token
/// bound to its action (a hidden field), and a post is refused when the browser says it came from another site
/// (<c>Sec-Fetch-Site</c>), when its token is missing, forged, for another action or expired. Bodies are read
/// with fixed limits, so a form can never hold more than a page could have sent.
/// </summary>
public sealed class FormGuard(SignedTokens tokens)
{
    public const string FieldName = PageFormAttribute.GuardField;
    public const string Purpose = "form";

    /// <summary>Long enough to read a page and fill a form under stress; a stale page only needs a reload.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    public const int MaxBody = 16 * 1024;
    private const int MaxFields = 40;
    private const int MaxValue = 4 * 1024;

    /// <summary>The hidden field that a form posting to <paramref name="action"/> must carry.</summary>
    public string HiddenField(string action) =>
        $"<input type=\"hidden\" name=\"{FieldName}\" value=\"{HtmlPage.Encode(tokens.Create(Purpose, action, Lifetime))}\">";

    /// <summary>
    /// The form of a page reached from a link in a message: the link first (<paramref name="link"/>, what it names or why
    /// it cannot be used), then the form, which must be this site's form bound to what the link names
    /// (<paramref name="subject"/>); else the page saying why (<paramref name="refusedPage"/>, given what the link names
    /// when it was usable). Nothing was changed when it refuses.
    /// </summary>
    public async Task<(T? Target, IFormCollection? Form, HtmlPage.HtmlResult? Refused)> ReadLinkFormAsync<T>(
        HttpRequest request, (T? Target, ProblemHttpResult? Problem) link, Func<T, string> subject, Func<ProblemHttpResult, T?, HtmlPage.HtmlResult> refusedPage,
        CancellationToken cancellationToken)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(refusedPage);
        if (link.Problem is { } problem)
        {
            return (null, null, refusedPage(problem, null));
        }

        var target = link.Target!.Value;
        var (form, refused) = await ReadAsync(request, subject(target), cancellationToken);
        return refused is null ? (target, form, null) : (null, null, refusedPage(refused, target));
    }

    /// <summary>Reads the posted form and checks that it is this site's form for <paramref name="action"/>; else the problem to answer (nothing was read further).</summary>
    public async Task<(IFormCollection? Form, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none"))
        {
            return (null, Problems.Create(403, Problems.Forbidden, "Cross-site form", "This form can only be sent from this site's own page."));
        }

        if (!request.HasFormContentType)
        {
            return (null, Problems.Create(415, Problems.UnsupportedMediaType, "Unsupported media type", "Send the page's form (application/x-www-form-urlencoded)."));
        }

        if (request.ContentLength > MaxBody)
        {
            return (null, Problems.Create(413, Problems.PayloadTooLarge, "Request body too large", $"The request body is larger than {MaxBody} bytes."));
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { ValueCountLimit = MaxFields, ValueLengthLimit = MaxValue, KeyLengthLimit = 100, MultipartBodyLengthLimit = MaxBody }, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return (null, Problems.Create(400, Problems.InvalidJson, "Malformed form", "The body could not be read as a form."));
        }

        return tokens.Verify(form[FieldName].ToString(), Purpose, out var claims) switch
        {
            TokenCheck.Valid when claims!.Subject == action => (form, null),
            TokenCheck.Expired => (null, Problems.Create(403, Problems.Forbidden, "Form expired", "This page was open too long: reload it and send the form again.")),
            _ => (null, Problems.Create(403, Problems.Forbidden, "Not this site's form", "Send the form from this site's own page.")),
        };
    }
}
