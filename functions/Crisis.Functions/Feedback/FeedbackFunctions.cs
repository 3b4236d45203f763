using System.Security.Claims;
using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Crisis.Functions.Feedback;

public sealed record VoteRequest(bool Helpful, string? Language = null);

public sealed record QuestionRequest(string Text, string? Language = null, string? Contact = null);

public sealed record AnswerRequest(string FaqEntryId);

public sealed record Received(string Status);

public sealed record QuestionList(IReadOnlyList<Question> Questions);

/// <summary>"Was this helpful?" votes and questions the FAQ does not answer (anonymous, rate-limited), and their admin side.</summary>
public static class FeedbackApi
{
    public const string WritePolicy = "public-write";
    private const int MaxBody = 8 * 1024;

    public static IEndpointRouteBuilder MapFeedback(this IEndpointRouteBuilder routes)
    {
        var open = routes.MapPublicGroup("/api/crises/{id}", WritePolicy, "Public");
        open.MapPost("/faq/{entryId}/votes", Vote).AsFunction("VoteFaqEntry", FunctionAuthLevel.Anonymous);
        open.MapPost("/questions", Ask).AsFunction("AskQuestion", FunctionAuthLevel.Anonymous);

        var admin = routes.AdminCrisesGroup("Admin: questions");
        admin.MapGet("/{id}/questions", ListQuestions).AsFunction("ListQuestions", FunctionAuthLevel.Function);
        admin.MapPost("/{id}/questions/{questionId}/answer", Answer).AsFunction("AnswerQuestion", FunctionAuthLevel.Function);
        return routes;
    }

    public static async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> Vote(
        string id, string entryId, HttpRequest request, PublishedPageCache cache, FeedbackStore feedback, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<VoteRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var manifest = await PublicManifestAsync(id, cache, cancellationToken);
        if (manifest is null)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{id}'.");
        }

        var faq = await cache.GetDocumentAsync(manifest, manifest.DefaultLanguage, "faq.json", cancellationToken);
        if (faq is null || !faq.FaqIndex.HasEntry(entryId))
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Crisis '{id}' has no FAQ entry '{entryId}'.");
        }

        var language = Languages.Negotiate(body.Value!.Language, request.Headers.AcceptLanguage.ToString(), manifest.Languages, manifest.DefaultLanguage);
        await feedback.AddVoteAsync(id, entryId, body.Value.Helpful, language, cancellationToken);
        return TypedResults.Accepted((string?)null, new Received("recorded"));
    }

    public static async Task<Results<Accepted<Received>, ValidationProblem, ProblemHttpResult>> Ask(
        string id, HttpRequest request, PublishedPageCache cache, FeedbackStore feedback, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<QuestionRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = new Validation();
        validation.Text("text", input.Text, 1000);
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

        var manifest = await PublicManifestAsync(id, cache, cancellationToken);
        if (manifest is null)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{id}'.");
        }

        var language = asked ?? Languages.Negotiate(null, request.Headers.AcceptLanguage.ToString(), manifest.Languages, manifest.DefaultLanguage);
        await feedback.AddQuestionAsync(id, input.Text.Trim(), language, input.Contact?.Trim(), cancellationToken);
        return TypedResults.Accepted((string?)null, new Received("received"));
    }

    public static async Task<Results<Ok<QuestionList>, ProblemHttpResult>> ListQuestions(
        string id, [FromQuery] string? status, CrisisService crises, FeedbackStore feedback, CancellationToken cancellationToken)
    {
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

    public static async Task<Results<Ok<Question>, ValidationProblem, ProblemHttpResult>> Answer(
        string id, string questionId, HttpRequest request, ClaimsPrincipal user, CrisisService crises, ContentStore contents,
        FeedbackStore feedback, CrisisStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<AnswerRequest>(request, MaxBody, cancellationToken);
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
        return TypedResults.Ok(answered);
    }

    private static async Task<PageManifest?> PublicManifestAsync(string id, PublishedPageCache cache, CancellationToken cancellationToken) =>
        await cache.GetManifestAsync(id, cancellationToken) is { Status: CrisisStatus.Active or CrisisStatus.Ended } manifest ? manifest : null;
}
