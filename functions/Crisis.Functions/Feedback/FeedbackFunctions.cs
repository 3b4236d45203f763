using System.ComponentModel.DataAnnotations;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Feedback;

public sealed record VoteRequest(bool Helpful, [property: MaxLength(Languages.MaxTag)] string? Language = null);

public sealed record QuestionRequest(
    [property: MaxLength(QuestionRequest.MaxText)] string Text,
    [property: MaxLength(Languages.MaxTag)] string? Language = null,
    [property: MaxLength(Validation.MaxEmail)] string? Contact = null)
{
    public const int MaxText = 1000;
}

public sealed record AnswerRequest([property: MaxLength(CrisisIds.MaxChildId)] string FaqEntryId);

public sealed record Received(string Status);

public sealed record QuestionList(IReadOnlyList<Question> Questions);

/// <summary>The rate limit policy of the anonymous writes (shared with other public functions that store what visitors send) and the feedback body limit.</summary>
public static class FeedbackApi
{
    public const string WritePolicy = "public-write";

    internal const int MaxBody = 8 * 1024;
}

/// <summary>"Was this helpful?" votes and questions the FAQ does not answer: anonymous, rate-limited.</summary>
[Public(FeedbackApi.WritePolicy)]
[Tags("Public")]
public sealed class FeedbackPublicFunctions(PublishedPageCache cache, FeedbackStore feedback, Subscriptions.ContactHasher hasher)
{
    [Function("VoteFaqEntry")]
    [JsonBody(typeof(VoteRequest))]
    public async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> Vote(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "crises/{id}/faq/{entryId}/votes")] HttpRequest request, string id, string entryId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<VoteRequest>(request, FeedbackApi.MaxBody, cancellationToken);
        return body.IsValid ? await VoteAsync(id, entryId, body.Value!, request) : body.Problem!;
    }

    /// <summary>Records a vote exactly as the JSON route does, for one read from the public page's form.</summary>
    public async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> VoteAsync(string id, string entryId, VoteRequest input, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (JsonBody.Check(input) is { } problem)
        {
            return problem;
        }

        var manifest = await PublicManifestAsync(id, cancellationToken);
        if (manifest is null)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{id}'.");
        }

        var faq = await cache.GetDocumentAsync(manifest, manifest.DefaultLanguage, "faq.json", cancellationToken);
        if (faq is null || !faq.FaqIndex.HasEntry(entryId))
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Crisis '{id}' has no FAQ entry '{entryId}'.");
        }

        var language = Languages.Negotiate(input.Language, request.Headers.AcceptLanguage.ToString(), manifest.Languages, manifest.DefaultLanguage);
        await feedback.AddVoteAsync(id, entryId, input.Helpful, language, cancellationToken);
        return TypedResults.Accepted((string?)null, new Received("recorded"));
    }

    [Function("AskQuestion")]
    [JsonBody(typeof(QuestionRequest))]
    public async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> Ask(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "crises/{id}/questions")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<QuestionRequest>(request, FeedbackApi.MaxBody, cancellationToken);
        return body.IsValid ? await AskAsync(id, body.Value!, request) : body.Problem!;
    }

    /// <summary>Takes a question exactly as the JSON route does, for one read from the public page's form.</summary>
    public async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> AskAsync(string id, QuestionRequest input, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (JsonBody.Check(input) is { } problem)
        {
            return problem;
        }

        var validation = new Validation();
        validation.Text("text", input.Text, QuestionRequest.MaxText);
        if (input.Text is { Length: < 5 })
        {
            validation.Add("text", "must be at least 5 characters.");
        }

        var asked = validation.Language("language", input.Language);

        validation.Email("contact", input.Contact);

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var manifest = await PublicManifestAsync(id, cancellationToken);
        if (manifest is null)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{id}'.");
        }

        var language = asked ?? Languages.Negotiate(null, request.Headers.AcceptLanguage.ToString(), manifest.Languages, manifest.DefaultLanguage);
        var contact = input.Contact?.Trim();
        await feedback.AddQuestionAsync(id, input.Text.Trim(), language, contact, contact is null ? null : hasher.HashOf(Notifications.OutboxChannel.Email, contact), cancellationToken);
        return TypedResults.Accepted((string?)null, new Received("received"));
    }

    private async Task<PageManifest?> PublicManifestAsync(string id, CancellationToken cancellationToken) =>
        await cache.GetManifestAsync(id, cancellationToken) is { Status: CrisisStatus.Active or CrisisStatus.Ended } manifest ? manifest : null;
}

/// <summary>The admin side of visitors' questions: listing them, and answering one with a FAQ entry. Admin role only.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: questions")]
public sealed class FeedbackAdminFunctions(CrisisService crises, ContentStore contents, FeedbackStore feedback, CrisisStore store, Notifications.Outbox outbox, Notifications.OutboxKick kick, TimeProvider time)
{
    [Function("ListQuestions")]
    [QueryParameter("status", "only questions with this status")]
    public async Task<Results<Ok<QuestionList>, ProblemHttpResult>> ListQuestions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/questions")] HttpRequest request, string id)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var status = QueryValues.Text(request, "status");
        if (status is not (null or "open" or "answered" or "all"))
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid status", "status must be open, answered or all.");
        }

        QuestionStatus? wanted = status switch
        {
            "answered" => QuestionStatus.Answered,
            "all" => null,
            _ => QuestionStatus.Open,
        };
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new QuestionList(await feedback.ListQuestionsAsync(id, wanted, cancellationToken)));
    }

    [Function("AnswerQuestion")]
    [JsonBody(typeof(AnswerRequest))]
    public async Task<Results<Ok<Question>, ValidationProblem, ProblemHttpResult>> Answer(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/questions/{questionId}/answer")] HttpRequest request, string id, string questionId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = request.HttpContext.RequestAborted;
        var user = request.HttpContext.User;
        var body = await JsonBody.ReadAsync<AnswerRequest>(request, FeedbackApi.MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        await crises.GetAsync(id, cancellationToken);
        var entryId = body.Value!.FaqEntryId;
        var draft = (await contents.GetDraftAsync(id, cancellationToken))?.Document.Content ?? CrisisContent.Empty;
        var published = (await contents.GetPublishedAsync(id, cancellationToken))?.Document.Content ?? CrisisContent.Empty;
        if (!draft.Faq.Concat(published.Faq).Any(f => f.Id == entryId))
        {
            var validation = new Validation();
            validation.Add("faqEntryId", $"crisis '{id}' has no FAQ entry '{entryId}'.");
            return validation.ToProblem();
        }

        var (question, etag) = await feedback.GetQuestionAsync(id, questionId, cancellationToken)
            ?? throw new CrisisNotFoundException($"Question {questionId} of crisis {id}");
        var answered = question with { Status = QuestionStatus.Answered, FaqEntryId = entryId, AnsweredAt = time.GetUtcNow(), AnsweredBy = user.Actor() };
        try
        {
            await feedback.ReplaceQuestionAsync(id, answered, etag, cancellationToken);
        }
        catch (Storage.ChangedMeanwhileException)
        {
            throw new VersionMismatchException($"Question {questionId} was changed by someone else; read it again.");
        }

        await store.AuditAsync(id, user.Actor(), "question.answer", $"question {questionId}: {question.Status.ToString().ToLowerInvariant()}", $"question {questionId}: answered by FAQ entry {entryId}", cancellationToken);

        // The asker hears once, when the answer is public: an entry still in draft waits for an answer with a published one.
        if (answered.Contact is not null && published.Faq.Any(f => f.Id == entryId))
        {
            await outbox.EnqueueAsync(AnswerNotifications.For(id, questionId), cancellationToken);
            kick.Dispatch();
        }

        return TypedResults.Ok(answered);
    }
}
