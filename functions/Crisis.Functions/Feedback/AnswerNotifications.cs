using Crisis.Functions.Crises;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;

namespace Crisis.Functions.Feedback;

/// <summary>
/// Tells someone who asked a question and left an address that it is answered, in the language they asked in
/// (or the crisis' fallback), with the FAQ entry and its link. Its key names the question, so answering it again
/// or editing the entry never sends a second message.
/// </summary>
public sealed class AnswerNotifications(FeedbackStore feedback, CrisisStore crises, ContentStore contents, PagePublisher publisher) : IDeferredMessages
{
    public const string KindName = "question-answered";

    public string Kind => KindName;

    public static DeferredMessage For(string crisisId, string questionId) =>
        new($"answered|{crisisId}|{questionId}", KindName, $"{crisisId}|{questionId}", "q" + questionId);

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken)
    {
        var parts = reference.Split('|');
        var question = (await feedback.GetQuestionAsync(parts[0], parts[1], cancellationToken))?.Question;
        var crisis = (await crises.GetAsync(parts[0], cancellationToken))?.Crisis;
        var entry = (await contents.GetPublishedAsync(parts[0], cancellationToken))?.Document.Content.Faq.FirstOrDefault(f => f.Id == question?.FaqEntryId);
        if (question is not { Contact: { } contact, Status: QuestionStatus.Answered } || crisis is null || entry is null)
        {
            return new Rendering(null, "cancelled", "The question, its answer or its address is gone.");
        }

        var language = Common.Languages.Negotiate(question.Language, null, crisis.Languages, crisis.DefaultLanguage);
        var words = MessageCatalogue.Resolve(language, crisis.DefaultLanguage);
        var link = publisher.Links(crisis.Id, language, crisis.PublicPageUrl).FaqHtml + "#" + Pages.PublicHtml.EntryAnchor(entry.Id);
        var subject = MessageCatalogue.Text(MessageKeys.AnsweredSubject, words);
        var text = MessageCatalogue.Text(MessageKeys.AnsweredBody, words,
            ("question", crisis.Localised(entry.Question, language)), ("answer", crisis.Localised(entry.Answer, language)), ("link", link)) + "\n";
        var headers = new Dictionary<string, string> { ["Content-Language"] = words == language ? language : $"{language}, {words}" };
        return new Rendering(new OutboxMessage($"answered|{crisis.Id}|{question.Id}", crisis.Id, OutboxChannel.Email, contact, subject, text,
            PlainText.Document(PlainText.ToHtmlWithLinks(text), words), null, headers));
    }

    public Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken) => Task.FromResult(false);
}
