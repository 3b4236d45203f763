using System.Globalization;
using System.Text;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Target = (Crisis.Functions.Crises.CrisisRecord Crisis, Crisis.Functions.Stakeholders.ExpectedUpdate Update, int Occurrence, Crisis.Functions.Stakeholders.Stakeholder Stakeholder);

namespace Crisis.Functions.Stakeholders;

/// <summary>
/// The reminder's link as a page for a person: what is owed (the crisis, the due time in the stakeholder's language
/// and zone), a form to acknowledge with a new time and a note, and one to post the update. The forms post back to
/// the link with the form guard's token bound to the action and the link, and go through the same code as the JSON
/// API; times are entered in the stakeholder's own zone.
/// </summary>
public sealed partial class StakeholderActionsFunctions
{
    private const string AcknowledgeAction = "acknowledge";
    private const string PostAction = "post-update";
    private static readonly string[] LocalTimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

    [Function("AcknowledgeExpectedUpdateFromPage")]
    [PageForm("newEta", "note")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> AcknowledgeFromPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stakeholder-actions/page/acknowledge")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (target, form, refused) = await ReadActionFormAsync(request, AcknowledgeAction, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var unreadable = new List<(string, string)>();
        var eta = LocalTime(form!, "newEta", target!.Value.Stakeholder, unreadable);
        var note = form!["note"].ToString();
        var input = new AcknowledgeRequest(QueryValues.Text(request, "token")!, eta, string.IsNullOrWhiteSpace(note) ? null : note);
        return await AnswerAsync(request, target.Value, form, () => AcknowledgeAsync(input, unreadable, cancellationToken), MessageKeys.LinksAcknowledgedTitle);
    }

    [Function("PostStakeholderUpdateFromPage")]
    [PageForm("text.{language}", "nextUpdateExpectedAt")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<HtmlPage.HtmlResult> PostUpdateFromPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stakeholder-actions/page/post-update")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (target, form, refused) = await ReadActionFormAsync(request, PostAction, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var unreadable = new List<(string, string)>();
        var next = LocalTime(form!, "nextUpdateExpectedAt", target!.Value.Stakeholder, unreadable);
        var texts = target.Value.Crisis.Languages
            .Select(l => (Language: l, Text: form!["text." + l].ToString()))
            .Where(t => !string.IsNullOrWhiteSpace(t.Text))
            .ToDictionary(t => t.Language, t => t.Text, StringComparer.Ordinal);
        var input = new PostUpdateRequest(QueryValues.Text(request, "token")!, texts, next);
        return await AnswerAsync(request, target.Value, form!, () => PostUpdateAsync(input, unreadable, cancellationToken), MessageKeys.LinksPostedTitle);
    }

    /// <summary>The page after a form: the outcome, the form again with errors beside their fields, or why nothing could be done.</summary>
    private async Task<HtmlPage.HtmlResult> AnswerAsync(
        HttpRequest request, Target target, IFormCollection form, Func<Task<Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult>>> act, string doneTitle)
    {
        Results<Ok<ActionResult>, ValidationProblem, ProblemHttpResult> answer;
        try
        {
            answer = await act();
        }
        catch (CrisisReadOnlyException)
        {
            return Page(request, target, 409, MessageKeys.LinksArchivedTitle, [MessageKeys.LinksArchivedText]);
        }

        var language = PageLanguage(request, target);
        switch (answer.Result)
        {
            case Ok<ActionResult> { Value: { } done }:
                var lines = new List<string>();
                if (done.Published is { } published)
                {
                    lines.Add(MessageCatalogue.Text(published ? MessageKeys.LinksPostedPublished : MessageKeys.LinksPostedDraft, language));
                }

                lines.Add(done.NextDueAt is { } due
                    ? MessageCatalogue.Text(MessageKeys.LinksNextDue, language, ("time", LocalTimes.Format(due, target.Stakeholder.TimeZone, language)))
                    : MessageCatalogue.Text(MessageKeys.LinksNothingMoreDue, language));
                return Message(language, 200, MessageCatalogue.Text(doneTitle, language), lines);
            case ValidationProblem invalid:
                return ActionPage(request, target, invalid.StatusCode, new Entered(form, invalid.ProblemDetails.Errors));
            case ProblemHttpResult problem:
                return ProblemPage(request, problem, target);
            default:
                throw new InvalidOperationException("An answer is a result or a problem.");
        }
    }

    /// <summary>The reminder's link, then the form for <paramref name="action"/>: a page saying why when either is refused (nothing is changed).</summary>
    private async Task<(Target? Target, IFormCollection? Form, HtmlPage.HtmlResult? Refused)> ReadActionFormAsync(HttpRequest request, string action, CancellationToken cancellationToken) =>
        await forms.ReadLinkFormAsync(request, await ResolveAsync(QueryValues.Text(request, "token"), tokens, store, crises, cancellationToken),
            target => FormSubject(target, action), (problem, target) => ProblemPage(request, problem, target), cancellationToken);

    /// <summary>The action page: what is owed and, while it can still be answered, the two forms.</summary>
    private HtmlPage.HtmlResult ActionPage(HttpRequest request, Target target, int status, Entered? entered)
    {
        var (crisis, update, occurrence, stakeholder) = target;
        var owed = update.Occurrences.Single(o => o.Number == occurrence);
        if (owed.SatisfiedAt is not null || update.Status != ExpectedUpdateStatus.Active)
        {
            return Page(request, target, 200, MessageKeys.LinksAnsweredTitle, [MessageKeys.LinksAnsweredText]);
        }

        if (crisis.Status == CrisisStatus.Archived)
        {
            return Page(request, target, 200, MessageKeys.LinksArchivedTitle, [MessageKeys.LinksArchivedText]);
        }

        var language = PageLanguage(request, target);
        var token = QueryValues.Text(request, "token")!;
        var errors = ErrorsByField(entered?.Errors, crisis.DefaultLanguage);
        string T(string key, params (string, string)[] values) => HtmlPage.Encode(MessageCatalogue.Text(key, language, values));
        var title = MessageCatalogue.Text(MessageKeys.LinksActionTitle, language, ("topic", update.Topic));
        var zone = ("zone", stakeholder.TimeZone);

        var main = new StringBuilder().Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1>");
        if (errors.Count > 0)
        {
            main.Append("<p class=\"error\" role=\"alert\">").Append(T(MessageKeys.LinksFormInvalid)).Append("</p>");
        }

        main.Append("<dl><dt>").Append(T(MessageKeys.LinksActionCrisis)).Append("</dt><dd>").Append(HtmlPage.Encode(crisis.Localised(crisis.Title, language))).Append("</dd>")
            .Append("<dt>").Append(T(MessageKeys.LinksActionDue)).Append("</dt><dd>").Append(HtmlPage.Encode(LocalTimes.Format(owed.DueAt, stakeholder.TimeZone, language))).Append("</dd></dl>");

        main.Append("<h2>").Append(T(MessageKeys.LinksActionAcknowledgeHeading)).Append("</h2>")
            .Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(ActionUrl(AcknowledgeAction, token))).Append("\">")
            .Append(forms.HiddenField(FormSubject(target, AcknowledgeAction)))
            .Append(Field("newEta", "newEta", T(MessageKeys.LinksActionNewEta, zone), errors, id => $"<input type=\"datetime-local\" id=\"{id}\" name=\"newEta\" value=\"{Value(entered, "newEta")}\"{Described(id, errors)}>"))
            .Append(Field("note", "note", T(MessageKeys.LinksActionNote), errors, id => $"<textarea id=\"{id}\" name=\"note\" rows=\"3\" maxlength=\"{AcknowledgeRequest.MaxNote}\"{Described(id, errors)}>{Value(entered, "note")}</textarea>"))
            .Append("<button type=\"submit\">").Append(T(MessageKeys.LinksActionAcknowledgeButton)).Append("</button></form>");

        main.Append("<h2>").Append(T(MessageKeys.LinksActionPostHeading)).Append("</h2>")
            .Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(ActionUrl(PostAction, token))).Append("\">")
            .Append(forms.HiddenField(FormSubject(target, PostAction)));
        foreach (var textLanguage in crisis.Languages.OrderBy(l => l == crisis.DefaultLanguage ? 0 : 1))
        {
            var name = "text." + textLanguage;
            var label = T(MessageKeys.LinksActionText, ("language", MessageCatalogue.Text(MessageKeys.LinksLanguageName, MessageCatalogue.Resolve(textLanguage))));
            main.Append(Field(name, "text-" + textLanguage, label, errors, id =>
                $"<textarea id=\"{id}\" name=\"{name}\" rows=\"5\" lang=\"{HtmlPage.Encode(textLanguage)}\" dir=\"{Languages.Direction(textLanguage)}\" maxlength=\"{CrisisValidation.MaxUpdateText}\"" +
                $"{(textLanguage == crisis.DefaultLanguage ? " required" : "")}{Described(id, errors)}>{Value(entered, name)}</textarea>"));
        }

        if (stakeholder.CanPublish)
        {
            main.Append(Field("nextUpdateExpectedAt", "nextUpdateExpectedAt", T(MessageKeys.LinksActionNextUpdate, zone), errors,
                id => $"<input type=\"datetime-local\" id=\"{id}\" name=\"nextUpdateExpectedAt\" value=\"{Value(entered, "nextUpdateExpectedAt")}\"{Described(id, errors)}>"));
        }
        else
        {
            main.Append("<p class=\"hint\">").Append(T(MessageKeys.LinksActionReview)).Append("</p>");
        }

        main.Append("<button type=\"submit\">").Append(T(MessageKeys.LinksActionPostButton)).Append("</button></form>");
        return HtmlPage.Result(status, new HtmlPage.Content(language, title, main.ToString()) { NoIndex = true });
    }

    /// <summary>The page for a refused link or form, in the stakeholder's language when the link is known, else the reader's.</summary>
    private static HtmlPage.HtmlResult ProblemPage(HttpRequest request, ProblemHttpResult problem, Target? target)
    {
        var (title, text) = (problem.ProblemDetails.Type, problem.StatusCode) switch
        {
            (Problems.TokenExpired, _) => (MessageKeys.PageLinkUnusableTitle, MessageKeys.LinksActionExpiredText),
            (Problems.InvalidToken, _) => (MessageKeys.PageLinkUnusableTitle, MessageKeys.PageLinkInvalidText),
            (Problems.NotFound, _) => (MessageKeys.PageErrorTitle, MessageKeys.LinksActionGoneText),
            (Problems.Conflict, 409) => (MessageKeys.LinksAnsweredTitle, MessageKeys.LinksAnsweredText),
            (Problems.Forbidden, 403) => (MessageKeys.LinksFormRefusedTitle, MessageKeys.LinksFormRefusedText),
            _ => (MessageKeys.PageErrorTitle, MessageKeys.PageErrorText),
        };
        var language = target is { } known ? PageLanguage(request, known) : MessageCatalogue.Negotiate(QueryValues.Text(request, "lang"), request.Headers.AcceptLanguage.ToString());
        return Message(language, problem.StatusCode, MessageCatalogue.Text(title, language), [MessageCatalogue.Text(text, language)]);
    }

    private static HtmlPage.HtmlResult Page(HttpRequest request, Target target, int status, string titleKey, IEnumerable<string> textKeys)
    {
        var language = PageLanguage(request, target);
        return Message(language, status, MessageCatalogue.Text(titleKey, language), textKeys.Select(k => MessageCatalogue.Text(k, language)));
    }

    private static HtmlPage.HtmlResult Message(string language, int status, string title, IEnumerable<string> lines)
    {
        var main = new StringBuilder().Append("<h1>").Append(HtmlPage.Encode(title)).Append("</h1>");
        foreach (var line in lines)
        {
            main.Append("<p>").Append(HtmlPage.Encode(line)).Append("</p>");
        }

        return HtmlPage.Result(status, new HtmlPage.Content(language, title, main.ToString()) { NoIndex = true });
    }

    /// <summary>A labelled field with the problem's errors for it beside it (the errors name the field they are about).</summary>
    private static string Field(string name, string id, string label, Dictionary<string, List<string>> errors, Func<string, string> control)
    {
        var html = new StringBuilder("<div class=\"field").Append(errors.ContainsKey(id) ? " invalid" : "").Append("\"><label for=\"").Append(id).Append("\">").Append(label).Append("</label>");
        if (errors.TryGetValue(id, out var messages))
        {
            html.Append("<p class=\"error\" id=\"").Append(id).Append("-error\">").Append(HtmlPage.Encode(name + " " + string.Join(" ", messages))).Append("</p>");
        }

        return html.Append(control(id)).Append("</div>").ToString();
    }

    private static string Described(string id, Dictionary<string, List<string>> errors) =>
        errors.ContainsKey(id) ? $" aria-invalid=\"true\" aria-describedby=\"{id}-error\"" : "";

    /// <summary>A problem's errors by the id of the control they belong to ("text" and "text.en" belong to the English text).</summary>
    private static Dictionary<string, List<string>> ErrorsByField(IDictionary<string, string[]>? errors, string defaultLanguage)
    {
        var byId = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, messages) in errors ?? new Dictionary<string, string[]>())
        {
            var id = name == "text" ? "text-" + defaultLanguage : name.Replace('.', '-');
            var list = byId.TryGetValue(id, out var seen) ? seen : byId[id] = [];
            list.AddRange(messages);
        }

        return byId;
    }

    /// <summary>What the person typed, shown again (escaped) when the form comes back with errors.</summary>
    private static string Value(Entered? entered, string field) => HtmlPage.Encode(entered?.Form[field].ToString());

    /// <summary>A <c>datetime-local</c> field read in the stakeholder's zone; null when empty, and an error when it is no time there.</summary>
    private static DateTimeOffset? LocalTime(IFormCollection form, string field, Stakeholder stakeholder, List<(string, string)> unreadable)
    {
        var text = form[field].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        LocalTimes.TryFindTimeZone(stakeholder.TimeZone, out var zone);
        if (DateTime.TryParseExact(text, LocalTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) && !zone.IsInvalidTime(local))
        {
            return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
        }

        unreadable.Add((field, $"must be a date and time in {stakeholder.TimeZone}, such as 2026-12-01T14:30."));
        return null;
    }

    private static string PageLanguage(HttpRequest request, Target target) =>
        MessageCatalogue.Resolve(QueryValues.Text(request, "lang"), target.Stakeholder.Language, target.Crisis.DefaultLanguage);

    /// <summary>What a form's guard token is bound to: the action and the link's occurrence and stakeholder.</summary>
    private static string FormSubject(Target target, string action) =>
        string.Create(CultureInfo.InvariantCulture, $"{ReminderTimer.ActionPurpose}|{target.Crisis.Id}|{target.Update.Id}|{target.Occurrence}|{target.Stakeholder.Id}|{action}");

    private static string ActionUrl(string action, string token) =>
        $"/{FunctionsOpenApi.RoutePrefix}/stakeholder-actions/page/{action}?token={Uri.EscapeDataString(token)}";

    private static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>A form as it was sent, with the problem's errors by field.</summary>
    private sealed record Entered(IFormCollection Form, IDictionary<string, string[]>? Errors);
}
