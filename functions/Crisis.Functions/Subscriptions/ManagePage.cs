using System.Text;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Subscriptions;

/// <summary>
/// The manage link as pages for a person: the subscription, a form to change language, topics and scope, one to
/// unsubscribe, and erasure behind a confirmation page. Every form posts back to the link (its token stays in the
/// URL, which link pages never send on as a referrer) with the form guard's token bound to the action and the
/// subscription; changes go through the same code as the JSON API.
/// </summary>
public sealed partial class SubscriptionsFunctions
{
    private const string PreferencesAction = "preferences";
    private const string UnsubscribeAction = "unsubscribe";
    private const string EraseAction = "erase";

    [Function("ChangeSubscriptionFromPage")]
    [PageForm("language", "topics", "scope")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> ChangeFromPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/manage")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (found, form, refused) = await ReadManageFormAsync(request, PreferencesAction, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var topics = form!["topics"].ToString().Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var input = new ManageRequest(EmptyAsNull(form["scope"]), EmptyAsNull(form["language"]), topics);
        var changed = await ApplyChangeAsync(found!.Value, input, cancellationToken);
        return changed.Result switch
        {
            Ok<SubscriptionView> => await ManagePageAsync(request, (await store.GetAsync(found.Value.Subscriber.Id, cancellationToken))?.Subscriber ?? found.Value.Subscriber, 200, MessageKeys.LinksManageSaved, null, cancellationToken),
            ValidationProblem invalid => await ManagePageAsync(request, found.Value.Subscriber, invalid.StatusCode, null, invalid.ProblemDetails.Errors, cancellationToken),
            ProblemHttpResult { StatusCode: 404 or 409 } problem => await ManagePageAsync(request, found.Value.Subscriber, problem.StatusCode, null,
                new Dictionary<string, string[]> { ["scope"] = [problem.ProblemDetails.Detail ?? ""] }, cancellationToken),
            ProblemHttpResult problem => SubscriptionPages.ForProblem(problem, PageLanguage(request, found.Value.Subscriber)),
            _ => throw new InvalidOperationException("A change answers a view or a problem."),
        };
    }

    [Function("UnsubscribeFromManagePage")]
    [PageForm]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> UnsubscribeFromPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/manage/unsubscribe")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (found, _, refused) = await ReadManageFormAsync(request, UnsubscribeAction, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var subscriber = found!.Value.Subscriber;
        await EndAsync(subscriber, cancellationToken);
        return SubscriptionPages.Message(200, PageLanguage(request, subscriber), MessageKeys.PageUnsubscribedTitle, MessageKeys.PageUnsubscribedText);
    }

    /// <summary>The confirmation step of erasure: what will go, and the button that does it (GET changes nothing).</summary>
    [Function("GetEraseSubscriberDataPage")]
    [QueryParameter("token", "the signed token from the link")]
    [QueryParameter("lang", "the page's language; else the subscriber's")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> EraseConfirmPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/manage/erase")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var (found, problem) = await ResolveAsync(token, SubscriptionLinks.ManagePurpose, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return SubscriptionPages.ForProblem(problem, SubscriptionPages.Language(request));
        }

        var subscriber = found!.Value.Subscriber;
        var language = PageLanguage(request, subscriber);
        var title = MessageCatalogue.Text(MessageKeys.LinksEraseTitle, language);
        var main = new StringBuilder()
            .Append("<h1>").Append(Encode(title)).Append("</h1>")
            .Append("<p>").Append(Encode(MessageCatalogue.Text(MessageKeys.LinksEraseText, language, ("contact", ContactMask.Mask(subscriber.Channel, subscriber.Address))))).Append("</p>")
            .Append("<form method=\"post\" action=\"").Append(Encode(ActionUrl(EraseAction, token!))).Append("\">")
            .Append(forms.HiddenField(FormSubject(subscriber, EraseAction)))
            .Append("<button type=\"submit\" class=\"danger\">").Append(Encode(MessageCatalogue.Text(MessageKeys.LinksEraseButton, language))).Append("</button></form>")
            .Append("<p><a href=\"").Append(Encode(ActionUrl(null, token!))).Append("\">").Append(Encode(MessageCatalogue.Text(MessageKeys.LinksEraseCancel, language))).Append("</a></p>");
        return HtmlPage.Result(200, new HtmlPage.Content(language, title, main.ToString()) { NoIndex = true });
    }

    [Function("EraseSubscriberDataFromPage")]
    [PageForm]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> EraseFromPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/manage/erase")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (found, _, refused) = await ReadManageFormAsync(request, EraseAction, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var subscriber = found!.Value.Subscriber;
        var language = PageLanguage(request, subscriber);
        await EraseAsync(subscriber, cancellationToken);
        return SubscriptionPages.Message(200, language, MessageKeys.LinksErasedTitle, MessageKeys.LinksErasedText);
    }

    /// <summary>The manage link, then the form for <paramref name="action"/>: a page saying why when either is refused (nothing is changed).</summary>
    private async Task<((Subscriber Subscriber, Azure.ETag ETag)? Found, IFormCollection? Form, HtmlPage.HtmlResult? Refused)> ReadManageFormAsync(
        HttpRequest request, string action, CancellationToken cancellationToken) =>
        await forms.ReadLinkFormAsync(request, await ResolveAsync(QueryValues.Text(request, "token"), SubscriptionLinks.ManagePurpose, cancellationToken),
            found => FormSubject(found.Subscriber, action),
            (problem, found) => SubscriptionPages.ForProblem(problem, found is { } known ? PageLanguage(request, known.Subscriber) : SubscriptionPages.Language(request)),
            cancellationToken);

    /// <summary>The manage page: the subscription, a notice (after a change), and errors beside their fields.</summary>
    private async Task<HtmlPage.HtmlResult> ManagePageAsync(
        HttpRequest request, Subscriber subscriber, int status, string? noticeKey, IDictionary<string, string[]>? errors, CancellationToken cancellationToken)
    {
        var token = QueryValues.Text(request, "token")!;
        var language = PageLanguage(request, subscriber);
        string T(string key, params (string, string)[] values) => Encode(MessageCatalogue.Text(key, language, values));
        var choices = (await crises.ListAsync(cancellationToken)).Where(c => (c.IsPublic && c.Status != CrisisStatus.Archived) || c.Id == subscriber.Scope).ToList();
        var scopeName = subscriber.Scope == Subscriber.AllCrises
            ? MessageCatalogue.Text(MessageKeys.ScopeAll, language)
            : choices.FirstOrDefault(c => c.Id == subscriber.Scope) is { } scoped ? scoped.Localised(scoped.Title, language) : subscriber.Scope;
        var errorsOf = ErrorsByField(errors);
        var title = MessageCatalogue.Text(MessageKeys.LinksManageTitle, language);

        var main = new StringBuilder().Append("<h1>").Append(Encode(title)).Append("</h1>");
        if (noticeKey is not null)
        {
            main.Append("<p class=\"notice\" role=\"status\">").Append(T(noticeKey)).Append("</p>");
        }

        if (errorsOf.Count > 0)
        {
            main.Append("<p class=\"error\" role=\"alert\">").Append(T(MessageKeys.LinksFormInvalid)).Append("</p>");
        }

        main.Append("<dl>")
            .Append("<dt>").Append(T(MessageKeys.LinksManageContact)).Append("</dt><dd dir=\"ltr\">").Append(Encode(ContactMask.Mask(subscriber.Channel, subscriber.Address))).Append("</dd>")
            .Append("<dt>").Append(T(MessageKeys.LinksManageScope)).Append("</dt><dd>").Append(Encode(scopeName)).Append("</dd>")
            .Append("<dt>").Append(T(MessageKeys.LinksManageLanguage)).Append("</dt><dd>").Append(Encode(LanguageName(subscriber.Language))).Append("</dd>")
            .Append("<dt>").Append(T(MessageKeys.LinksManageTopics)).Append("</dt><dd>")
            .Append(subscriber.Topics.Count == 0 ? T(MessageKeys.LinksManageTopicsAll) : Encode(string.Join(", ", subscriber.Topics))).Append("</dd></dl>");

        main.Append("<h2>").Append(T(MessageKeys.LinksManageChangeHeading)).Append("</h2>")
            .Append("<form method=\"post\" action=\"").Append(Encode(ActionUrl(null, token))).Append("\">")
            .Append(forms.HiddenField(FormSubject(subscriber, PreferencesAction)));

        main.Append(FieldStart("language", T(MessageKeys.LinksManageLanguage), errorsOf)).Append("<select id=\"language\" name=\"language\"").Append(Described("language", errorsOf)).Append('>');
        foreach (var option in MessageCatalogue.Languages)
        {
            main.Append("<option value=\"").Append(Encode(option)).Append("\" lang=\"").Append(Encode(option)).Append('"')
                .Append(option == subscriber.Language ? " selected" : "").Append('>').Append(Encode(LanguageName(option))).Append("</option>");
        }

        main.Append("</select></div>");

        main.Append(FieldStart("topics", T(MessageKeys.LinksManageTopics), errorsOf))
            .Append("<p class=\"hint\" id=\"topics-hint\">").Append(T(MessageKeys.LinksManageTopicsHint)).Append("</p>")
            .Append("<input type=\"text\" id=\"topics\" name=\"topics\" dir=\"ltr\" autocomplete=\"off\" value=\"").Append(Encode(string.Join(' ', subscriber.Topics))).Append('"')
            .Append(Described("topics", errorsOf, "topics-hint")).Append("></div>");

        main.Append(FieldStart("scope", T(MessageKeys.LinksManageScope), errorsOf)).Append("<select id=\"scope\" name=\"scope\"").Append(Described("scope", errorsOf)).Append('>')
            .Append("<option value=\"all\"").Append(subscriber.Scope == Subscriber.AllCrises ? " selected" : "").Append('>').Append(T(MessageKeys.ScopeAll)).Append("</option>");
        foreach (var crisis in choices)
        {
            main.Append("<option value=\"").Append(Encode(crisis.Id)).Append('"').Append(crisis.Id == subscriber.Scope ? " selected" : "").Append('>')
                .Append(Encode(crisis.Localised(crisis.Title, language))).Append("</option>");
        }

        main.Append("</select></div>")
            .Append("<button type=\"submit\">").Append(T(MessageKeys.LinksManageSave)).Append("</button></form>");

        main.Append("<h2>").Append(T(MessageKeys.LinksManageUnsubscribeHeading)).Append("</h2>")
            .Append("<form method=\"post\" action=\"").Append(Encode(ActionUrl(UnsubscribeAction, token))).Append("\">")
            .Append(forms.HiddenField(FormSubject(subscriber, UnsubscribeAction)))
            .Append("<button type=\"submit\">").Append(T(MessageKeys.PageUnsubscribeButton)).Append("</button></form>");

        main.Append("<h2>").Append(T(MessageKeys.LinksManageEraseHeading)).Append("</h2>")
            .Append("<p>").Append(T(MessageKeys.LinksManageEraseText)).Append("</p>")
            .Append("<p><a href=\"").Append(Encode(ActionUrl(EraseAction, token))).Append("\">").Append(T(MessageKeys.LinksManageEraseLink)).Append("</a></p>");

        return HtmlPage.Result(status, new HtmlPage.Content(language, title, main.ToString()) { NoIndex = true });
    }

    /// <summary>A field's wrapper, label and the errors the problem gave for it (each message names the field it is about).</summary>
    private static string FieldStart(string field, string label, Dictionary<string, List<string>> errors)
    {
        var html = new StringBuilder("<div class=\"field");
        html.Append(errors.ContainsKey(field) ? " invalid\">" : "\">").Append("<label for=\"").Append(field).Append("\">").Append(label).Append("</label>");
        if (errors.TryGetValue(field, out var messages))
        {
            html.Append("<p class=\"error\" id=\"").Append(field).Append("-error\">").Append(Encode(field + " " + string.Join(" ", messages))).Append("</p>");
        }

        return html.ToString();
    }

    private static string Described(string field, Dictionary<string, List<string>> errors, string? hint = null)
    {
        var ids = new[] { hint, errors.ContainsKey(field) ? field + "-error" : null }.Where(i => i is not null).ToList();
        return (errors.ContainsKey(field) ? " aria-invalid=\"true\"" : "") + (ids.Count > 0 ? $" aria-describedby=\"{string.Join(' ', ids)}\"" : "");
    }

    /// <summary>A problem's errors by the form field they belong to ("topics[2]" belongs to "topics").</summary>
    private static Dictionary<string, List<string>> ErrorsByField(IDictionary<string, string[]>? errors)
    {
        var byField = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, messages) in errors ?? new Dictionary<string, string[]>())
        {
            var field = name.Split('[', '.')[0];
            var list = byField.TryGetValue(field, out var seen) ? seen : byField[field] = [];
            list.AddRange(messages);
        }

        return byField;
    }

    /// <summary>The page's language: ?lang when the catalogue has it, else the subscriber's.</summary>
    private static string PageLanguage(HttpRequest request, Subscriber subscriber) =>
        MessageCatalogue.Resolve(QueryValues.Text(request, "lang"), subscriber.Language);

    private static string LanguageName(string language) => MessageCatalogue.Text(MessageKeys.LinksLanguageName, MessageCatalogue.Resolve(language));

    /// <summary>What a form's guard token is bound to: the action and the subscription, so a form of one subscription's page cannot act on another's.</summary>
    private static string FormSubject(Subscriber subscriber, string action) => $"{SubscriptionLinks.ManagePurpose}|{subscriber.Id}|{action}";

    private static string ActionUrl(string? action, string token) =>
        "/" + FunctionsOpenApi.RoutePrefix + "/subscriptions/manage" + (action is null ? "" : "/" + action) + "?token=" + Uri.EscapeDataString(token);

    private static string? EmptyAsNull(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Encode(string text) => HtmlPage.Encode(text);
}
