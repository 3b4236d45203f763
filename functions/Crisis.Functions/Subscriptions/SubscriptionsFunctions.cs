using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Subscriptions;

/// <summary>A request to subscribe: exactly one contact; scope "all" (the default) or a crisis id; language; optional topics.</summary>
public sealed record SubscribeRequest(
    [property: MaxLength(Validation.MaxEmail)] string? Email = null,
    [property: MaxLength(SubscriptionsFunctions.MaxPhone)] string? Phone = null,
    [property: MaxLength(Validation.MaxUrl)] string? WebhookUrl = null,
    [property: MaxLength(CrisisIds.MaxId)] string? Scope = null,
    [property: MaxLength(Languages.MaxTag)] string? Language = null,
    [property: MaxLength(SubscriptionsFunctions.MaxTopics), ItemMaxLength(Crises.Topics.MaxLength)] List<string>? Topics = null);

/// <summary>A change from the manage link; absent fields stay as they are.</summary>
public sealed record ManageRequest(
    [property: MaxLength(CrisisIds.MaxId)] string? Scope = null,
    [property: MaxLength(Languages.MaxTag)] string? Language = null,
    [property: MaxLength(SubscriptionsFunctions.MaxTopics), ItemMaxLength(Crises.Topics.MaxLength)] List<string>? Topics = null);

public sealed record SubscribeAccepted(string Status, string Detail);

/// <summary>A subscription as its owner (with the manage link) or an admin sees it: the contact masked.</summary>
public sealed record SubscriptionView(string Id, OutboxChannel Channel, string Contact, string Scope, string Language, IReadOnlyList<string> Topics, SubscriberStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt, int Failures, string? LastError, DateTimeOffset? QuarantinedAt)
{
    public static SubscriptionView Of(Subscriber s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Id, s.Channel, ContactMask.Mask(s.Channel, s.Address), s.Scope == Subscriber.AllCrises ? "all" : s.Scope, s.Language, s.Topics, s.Status,
            s.CreatedAt, s.ConfirmedAt, s.Failures, s.LastError, s.QuarantinedAt);
    }
}

public sealed record Erased(string Status, int Subscriptions, int DeliveryRecords);

/// <summary>
/// The public side of subscriptions: subscribe (always 202, the same answer whoever asks), confirm, manage,
/// one-click unsubscribe (RFC 8058) and erase. Every action after subscribing needs a signed, expiring,
/// single-purpose link; GETs only show a page, so mail scanners that follow links change nothing.
/// </summary>
[Public(Feedback.FeedbackApi.WritePolicy)]
[Tags("Subscriptions")]
public sealed partial class SubscriptionsFunctions(
    SubscriberStore store, CrisisStore crises, Feedback.FeedbackStore questions, ContactHasher hasher, Outbox outbox, OutboxKick kick, SignedTokens tokens, SubscriptionLinks links,
    FormGuard forms, IOptions<SubscriptionOptions> options, IOptions<WebhookOptions> webhooks, IOptions<SmsOptions> sms, TimeProvider time, ILogger<SubscriptionsFunctions> logger)
{
    public const string SubscribePolicy = "public-subscribe";
    private const int MaxBody = 4 * 1024;
    public const int MaxTopics = 10;

    /// <summary>The longest E.164 number <see cref="E164"/> matches: a plus and 15 digits.</summary>
    public const int MaxPhone = 16;
    private const int MaxSaveAttempts = 5;
    private const string Accepted = "If this contact can receive messages, a confirmation is on its way; nothing else is sent until it is confirmed.";

    [Function("Subscribe")]
    [JsonBody(typeof(SubscribeRequest), 404, 422)]
    [Public(SubscribePolicy)]
    public async Task<Results<Accepted<SubscribeAccepted>, ValidationProblem, ProblemHttpResult>> Subscribe(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions")] HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var idempotencyKey = request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length > 255 || idempotencyKey.Any(c => c is < '!' or > '~'))
        {
            return Problems.Create(400, Problems.ValidationFailed, "Invalid Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters.");
        }

        var body = await JsonBody.ReadAsync<SubscribeRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        return await SubscribeAsync(body.Value!, idempotencyKey, request);
    }

    /// <summary>Subscribes exactly as POST /api/subscriptions does, for a request read from the public page's form: the same contract, checks and answers.</summary>
    public async Task<Results<Accepted<SubscribeAccepted>, ValidationProblem, ProblemHttpResult>> SubscribeFromFormAsync(SubscribeRequest input, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return JsonBody.Check(input) is { } problem ? problem : await SubscribeAsync(input, "", request);
    }

    private async Task<Results<Accepted<SubscribeAccepted>, ValidationProblem, ProblemHttpResult>> SubscribeAsync(SubscribeRequest input, string idempotencyKey, HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var validation = new Validation();
        var contact = ReadContact(input, validation, webhooks.Value);
        if (contact is { Channel: OutboxChannel.Webhook } && validation.IsValid && !await ResolvesPubliclyAsync(contact.Value.Address, webhooks.Value, cancellationToken))
        {
            validation.Add("webhookUrl", "must point at a public address (its host resolves to none).");
        }

        var language = input.Language is null
            ? Languages.Normalise(request.Headers.AcceptLanguage.ToString().Split(',')[0].Split(';')[0].Trim()) ?? "en"
            : validation.Language("language", input.Language);

        var scope = ReadScope(input.Scope, validation);
        ReadTopics(input.Topics, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (scope != Subscriber.AllCrises && (await crises.GetAsync(scope, cancellationToken))?.Crisis is not { IsPublic: true })
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{scope}'.");
        }

        var (channel, address) = contact!.Value;
        var hash = hasher.HashOf(channel, address);
        var topics = (input.Topics ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var fingerprint = Fingerprint(hash, scope, language!, topics);
        if (idempotencyKey.Length > 0 && await store.IdempotentRequestAsync(idempotencyKey, cancellationToken) is { } seen)
        {
            return seen == fingerprint
                ? TypedResults.Accepted((string?)null, new SubscribeAccepted("accepted", Accepted))
                : Problems.Create(422, Problems.IdempotencyKeyReused, "Idempotency-Key reused", "This Idempotency-Key was used with a different request.");
        }

        // Limits count per mailbox, so tags do not multiply them. Past a limit the answer is the same 202 and nothing
        // changes or is sent: a stranger can neither learn whether the contact is subscribed, nor lock its owner out
        // (the latest link sent still works), and a subscribed contact asking again always gets its manage link back.
        var mailbox = hasher.MailboxHashOf(channel, address);
        var allowed = (await store.FindAsync(hash, scope, cancellationToken))?.Subscriber.Status == SubscriberStatus.Confirmed
            ? await store.CountManageLinkAsync(mailbox, options.Value.ManageLinkInterval, cancellationToken)
            : await store.CountConfirmationAsync(mailbox, options.Value.MaxConfirmationsPerContactPerDay, cancellationToken);
        if (!allowed)
        {
            logger.LogInformation("Subscription request for contact {ContactHash}… (scope {Scope}): its message limit is reached, nothing sent", hash[..8], scope);
            return TypedResults.Accepted((string?)null, new SubscribeAccepted("accepted", Accepted));
        }

        var subscriber = await SaveRequestAsync(hash, channel, address, scope, language!, topics, time.GetUtcNow(), cancellationToken);
        await outbox.EnqueueAsync(new DeferredMessage($"confirm|{subscriber.Id}|{SubscriberIds.NewNonce()}", ConfirmationMessages.KindName, subscriber.Id, subscriber.Id), cancellationToken);
        if (idempotencyKey.Length > 0)
        {
            await store.RememberRequestAsync(hash, idempotencyKey, fingerprint, cancellationToken);
        }

        logger.LogInformation("Subscription request for contact {ContactHash}… ({Channel}, scope {Scope}): subscriber {SubscriberId} is {Status}",
            hash[..8], channel, scope, subscriber.Id, subscriber.Status);
        kick.Dispatch();
        return TypedResults.Accepted((string?)null, new SubscribeAccepted("accepted", Accepted));
    }

    /// <summary>
    /// Creates the pending subscription, or refreshes the one that exists (a new confirmation for a quarantined one).
    /// A pending one gets a new nonce: only the newest confirmation link works, earlier ones answer 409.
    /// </summary>
    private async Task<Subscriber> SaveRequestAsync(string hash, OutboxChannel channel, string address, string scope, string language, List<string> topics, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var existing = await store.FindAsync(hash, scope, cancellationToken);
            if (existing is null)
            {
                var created = new Subscriber
                {
                    Id = SubscriberIds.New(), Channel = channel, Address = address, ContactHash = hash, Scope = scope, Language = language, Topics = topics,
                    Status = SubscriberStatus.Pending, Nonce = SubscriberIds.NewNonce(), CreatedAt = now, RequestedAt = now,
                };
                await store.NotePendingAsync(created, cancellationToken);
                try
                {
                    await store.CreateAsync(created, cancellationToken);
                    return created;
                }
                catch (ChangedMeanwhileException) when (attempt < MaxSaveAttempts)
                {
                    // A request for the same contact and scope is creating it right now: give it a moment, then look again.
                    await Task.Delay(TimeSpan.FromMilliseconds(25 * attempt), cancellationToken);
                    continue;
                }
            }

            var (subscriber, etag) = existing.Value;
            if (subscriber.Status == SubscriberStatus.Confirmed)
            {
                return subscriber;
            }

            var refreshed = subscriber.Status == SubscriberStatus.Quarantined
                ? subscriber with { Status = SubscriberStatus.Pending, Nonce = SubscriberIds.NewNonce(), Failures = 0, LastError = null, QuarantinedAt = null, Address = address, Language = language, Topics = topics, RequestedAt = now }
                : subscriber with { Nonce = SubscriberIds.NewNonce(), Address = address, Language = language, Topics = topics, RequestedAt = now };
            try
            {
                await store.NotePendingAsync(refreshed, cancellationToken);
                await store.ReplaceAsync(refreshed, etag, cancellationToken);
                return refreshed;
            }
            catch (ChangedMeanwhileException) when (attempt < MaxSaveAttempts)
            {
                // Changed meanwhile (confirmed, or another request): look again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * attempt)), cancellationToken);
            }
            catch (ChangedMeanwhileException)
            {
                // Requests for the same contact keep refreshing it at once: one of them is enough, and it is stored.
                if ((await store.FindAsync(hash, scope, cancellationToken))?.Subscriber is { } settled)
                {
                    return settled;
                }

                throw;
            }
        }
    }

    [Function("GetConfirmSubscriptionPage")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public IResult ConfirmPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/confirm")] HttpRequest request)
        => FormPage(request, SubscriptionLinks.ConfirmPurpose, MessageKeys.PageConfirmTitle, MessageKeys.PageConfirmText, MessageKeys.PageConfirmButton, null);

    [Function("ConfirmSubscription")]
    [NoBody(409)]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<IResult> Confirm(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/confirm")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var cancellationToken = request.HttpContext.RequestAborted;
        var check = tokens.Verify(token, SubscriptionLinks.ConfirmPurpose, out var claims);
        var parts = claims?.Subject.Split('|');
        if (check != TokenCheck.Valid || parts is not { Length: 2 })
        {
            return Answer(request, TokenProblem(check == TokenCheck.Valid ? TokenCheck.Malformed : check));
        }

        if (await store.GetAsync(parts[0], cancellationToken) is not var (subscriber, etag))
        {
            return Answer(request, Gone());
        }

        if (subscriber.Status != SubscriberStatus.Pending || subscriber.Nonce is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(subscriber.Nonce), Encoding.UTF8.GetBytes(parts[1])))
        {
            return Answer(request, Problems.Create(409, Problems.TokenUsed, "Link already used", "This confirmation link was already used or replaced by a newer one; nothing was changed."));
        }

        var confirmed = subscriber with { Status = SubscriberStatus.Confirmed, ConfirmedAt = time.GetUtcNow(), Nonce = null };
        try
        {
            await store.ConfirmAsync(confirmed, etag, cancellationToken);
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            return Answer(request, Problems.Create(409, Problems.TokenUsed, "Link already used", "The subscription changed meanwhile; nothing was changed."));
        }

        await store.ClearPendingAsync(confirmed.Id, cancellationToken);
        return WantsHtml(request)
            ? SubscriptionPages.Message(200, SubscriptionPages.Language(request), MessageKeys.PageConfirmedTitle, MessageKeys.PageConfirmedText)
            : TypedResults.Ok(new { status = "confirmed", subscription = SubscriptionView.Of(confirmed), links = new { manage = links.Manage(confirmed.Id), unsubscribe = links.Unsubscribe(confirmed.Id) } });
    }

    /// <summary>The manage link: the subscription as JSON, or for a browser (Accept: text/html) the manage page with its forms.</summary>
    [Function("GetSubscription")]
    [QueryParameter("token", "the signed token from the link")]
    [QueryParameter("lang", "the page's language (browsers only); else the subscriber's")]
    [LinkPage]
    public async Task<Results<Ok<SubscriptionView>, ProblemHttpResult, HtmlPage.HtmlResult>> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/manage")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var cancellationToken = request.HttpContext.RequestAborted;
        var (found, problem) = await ResolveAsync(token, SubscriptionLinks.ManagePurpose, cancellationToken);
        if (WantsHtml(request))
        {
            return problem is null
                ? await ManagePageAsync(request, found!.Value.Subscriber, 200, null, null, cancellationToken)
                : SubscriptionPages.ForProblem(problem, SubscriptionPages.Language(request));
        }

        return problem ?? (Results<Ok<SubscriptionView>, ProblemHttpResult, HtmlPage.HtmlResult>)TypedResults.Ok(SubscriptionView.Of(found!.Value.Subscriber));
    }

    [Function("UpdateSubscription")]
    [JsonBody(typeof(ManageRequest), 409, 412)]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<Results<Ok<SubscriptionView>, ValidationProblem, ProblemHttpResult>> Change(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "subscriptions/manage")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var cancellationToken = request.HttpContext.RequestAborted;
        var body = await JsonBody.ReadAsync<ManageRequest>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var (found, problem) = await ResolveAsync(token, SubscriptionLinks.ManagePurpose, cancellationToken);
        return problem ?? await ApplyChangeAsync(found!.Value, body.Value!, cancellationToken);
    }

    /// <summary>A change from the manage link (the JSON API or the manage page's form): validated, then stored; a new scope moves the subscription.</summary>
    private async Task<Results<Ok<SubscriptionView>, ValidationProblem, ProblemHttpResult>> ApplyChangeAsync(
        (Subscriber Subscriber, Azure.ETag ETag) found, ManageRequest input, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var language = validation.Language("language", input.Language);

        var scope = input.Scope is null ? null : ReadScope(input.Scope, validation);
        ReadTopics(input.Topics, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (scope is not null && scope != Subscriber.AllCrises && (await crises.GetAsync(scope, cancellationToken))?.Crisis is not { IsPublic: true })
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"There is no public crisis '{scope}'.");
        }

        var (before, etag) = found;
        var after = before with
        {
            Language = language ?? before.Language,
            Topics = input.Topics is null ? before.Topics : [.. input.Topics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Scope = scope ?? before.Scope,
        };
        try
        {
            if (after.Scope != before.Scope)
            {
                if (await store.FindAsync(before.ContactHash, after.Scope, cancellationToken) is not null)
                {
                    return Problems.Create(409, Problems.Conflict, "Already subscribed", "This contact already has a subscription with that scope; change or remove that one.");
                }

                await store.MoveAsync(before, after, etag, cancellationToken);
            }
            else
            {
                await store.ReplaceAsync(after, etag, cancellationToken);
            }
        }
        catch (Exception e) when (e is ChangedMeanwhileException or NotFoundException)
        {
            return Problems.Create(412, Problems.PreconditionFailed, "Changed meanwhile", "The subscription changed meanwhile; read it again.");
        }

        return TypedResults.Ok(SubscriptionView.Of(after));
    }

    /// <summary>Erase my data: every subscription of this contact, its counters and remembered requests, and every delivery record.</summary>
    [Function("EraseSubscriberData")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<Results<Ok<Erased>, ProblemHttpResult>> Erase(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "subscriptions/manage")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var cancellationToken = request.HttpContext.RequestAborted;
        var (found, problem) = await ResolveAsync(token, SubscriptionLinks.ManagePurpose, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return TypedResults.Ok(await EraseAsync(found!.Value.Subscriber, cancellationToken));
    }

    private async Task<Erased> EraseAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        var ids = (await store.EraseContactAsync(subscriber.ContactHash, cancellationToken)).Append(subscriber.Id).Distinct(StringComparer.Ordinal).ToList();
        await store.DeleteAsync(subscriber, SubscriberEvent.Erased, cancellationToken);

        // The subscriptions go first, so a message being made meanwhile finds its subscriber gone; the rest are
        // independent stores, forgotten at once (each step is idempotent: a failed erasure is simply asked again).
        var limits = store.EraseLimitsAsync(hasher.MailboxHashOf(subscriber.Channel, subscriber.Address), cancellationToken);
        var questionsForgotten = questions.ForgetContactAsync(subscriber.ContactHash, cancellationToken);
        var forgetting = ids.Select(id => outbox.ForgetRecipientAsync(id, cancellationToken)).ToList();
        await Task.WhenAll([limits, questionsForgotten, .. forgetting]);
        var records = (await Task.WhenAll(forgetting)).Sum();

        logger.LogInformation("Contact {ContactHash}… erased: {Subscriptions} subscriptions, {Records} delivery records", subscriber.ContactHash[..8], ids.Count, records);
        return new Erased("erased", ids.Count, records);
    }

    [Function("GetUnsubscribePage")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public IResult UnsubscribePage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/unsubscribe")] HttpRequest request)
        => FormPage(request, SubscriptionLinks.UnsubscribePurpose, MessageKeys.PageUnsubscribeTitle, MessageKeys.PageUnsubscribeText, MessageKeys.PageUnsubscribeButton, "List-Unsubscribe=One-Click");

    /// <summary>The page behind a link: a form that POSTs back while the link is good (GET changes nothing), else why not, in the reader's language.</summary>
    private HtmlPage.HtmlResult FormPage(HttpRequest request, string purpose, string title, string text, string button, string? field)
    {
        var check = tokens.Verify(QueryValues.Text(request, "token"), purpose, out _);
        var language = SubscriptionPages.Language(request);
        return check == TokenCheck.Valid
            ? SubscriptionPages.Form(language, title, text, button, field)
            : SubscriptionPages.ForProblem(TokenProblem(check), language);
    }

    /// <summary>RFC 8058 one-click unsubscribe: a POST whose form body holds <c>List-Unsubscribe=One-Click</c>.</summary>
    [Function("Unsubscribe")]
    [FormBody("List-Unsubscribe", "One-Click")]
    [QueryParameter("token", "the signed token from the link")]
    [LinkPage]
    public async Task<IResult> Unsubscribe(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/unsubscribe")] HttpRequest request)
    {
        var token = QueryValues.Text(request, "token");
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!request.HasFormContentType)
        {
            return Answer(request, Problems.Create(415, Problems.UnsupportedMediaType, "Unsupported media type", "Send List-Unsubscribe=One-Click as a form (RFC 8058)."));
        }

        IFormCollection form;
        try
        {
            if (request.ContentLength > MaxBody)
            {
                throw new RequestBodyTooLargeException(MaxBody);
            }

            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueCountLimit = 10, ValueLengthLimit = 1024, MultipartBodyLengthLimit = MaxBody }, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return Answer(request, Problems.Create(400, Problems.InvalidJson, "Malformed form", "The body could not be read as a form."));
        }

        if (form["List-Unsubscribe"] != "One-Click")
        {
            return Answer(request, Problems.Create(400, Problems.ValidationFailed, "Not a one-click unsubscribe", "The form must hold List-Unsubscribe=One-Click (RFC 8058)."));
        }

        var (found, problem) = await ResolveAsync(token, SubscriptionLinks.UnsubscribePurpose, cancellationToken);
        if (problem is not null)
        {
            return Answer(request, problem);
        }

        await EndAsync(found!.Value.Subscriber, cancellationToken);
        return WantsHtml(request)
            ? SubscriptionPages.Message(200, SubscriptionPages.Language(request), MessageKeys.PageUnsubscribedTitle, MessageKeys.PageUnsubscribedText)
            : TypedResults.Ok(new { status = "unsubscribed" });
    }

    /// <summary>Ends the subscription and queues the message that says so.</summary>
    private async Task EndAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(subscriber, SubscriberEvent.Unsubscribed, cancellationToken);
        await outbox.EnqueueAsync(await FarewellAsync(subscriber, cancellationToken), cancellationToken);
        kick.Dispatch();
        logger.LogInformation("Subscriber {SubscriberId} unsubscribed", subscriber.Id);
    }

    /// <summary>
    /// The message that says the unsubscription took effect, in the subscriber's language. It is made now, as the
    /// subscription is already gone: the outbox holds the address only until the message is delivered.
    /// </summary>
    private async Task<OutboxMessage> FarewellAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        var crisis = subscriber.Scope == Subscriber.AllCrises ? null : (await crises.GetAsync(subscriber.Scope, cancellationToken))?.Crisis;
        var language = MessageCatalogue.Resolve(subscriber.Language, crisis?.DefaultLanguage);
        var subject = MessageCatalogue.Text(MessageKeys.UnsubscribedSubject, language);
        var webhook = JsonSerializer.Serialize(new { type = "subscription.ended", title = subject, language, subscriptionId = subscriber.Id, scope = subscriber.Scope }, JsonBody.Options);
        return new SubscriptionMessages(language, sms.Value.MaxSegments).Farewell($"unsubscribed|{subscriber.Id}", subscriber, subject,
            MessageCatalogue.Text(MessageKeys.UnsubscribedBody, language), MessageCatalogue.Text(MessageKeys.UnsubscribedSms, language), webhook);
    }

    /// <summary>Checks a link and finds its subscription; tampered, expired or foreign links are 4xx, and so is a link to a subscription that is gone.</summary>
    private async Task<((Subscriber Subscriber, Azure.ETag ETag)? Found, ProblemHttpResult? Problem)> ResolveAsync(
        string? token, string purpose, CancellationToken cancellationToken)
    {
        var check = tokens.Verify(token, purpose, out var claims);
        if (check != TokenCheck.Valid)
        {
            return (null, TokenProblem(check));
        }

        var found = await store.GetAsync(claims!.Subject, cancellationToken);
        return found is null ? (null, Gone()) : (found, null);
    }

    private static ProblemHttpResult Gone() =>
        Problems.Create(410, Problems.NotFound, "Subscription gone", "This subscription no longer exists (unsubscribed or erased); nothing was changed.");

    private static ProblemHttpResult TokenProblem(TokenCheck check) =>
        LinkProblems.For(check, "This link has expired. Subscribe again, or use the link in a newer message.");

    /// <summary>Browsers (the pages' forms) get a page in their language; API clients get JSON problems.</summary>
    private static IResult Answer(HttpRequest request, ProblemHttpResult problem) =>
        WantsHtml(request) ? SubscriptionPages.ForProblem(problem, SubscriptionPages.Language(request)) : problem;

    private static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static (OutboxChannel Channel, string Address)? ReadContact(SubscribeRequest input, Validation validation, WebhookOptions webhooks)
    {
        var given = new[] { input.Email, input.Phone, input.WebhookUrl }.Count(c => c is not null);
        if (given != 1)
        {
            validation.Add("contact", "give exactly one of email, phone or webhookUrl.");
            return null;
        }

        if (input.Email is { } email)
        {
            validation.Email("email", email);
            return (OutboxChannel.Email, email);
        }

        if (input.Phone is { } phone)
        {
            if (!E164().IsMatch(phone))
            {
                validation.Add("phone", "must be an E.164 number, e.g. +447700900123.");
            }

            return (OutboxChannel.Sms, phone);
        }

        if (WebhookSender.Validate(input.WebhookUrl, SubscriberPrivateHosts(webhooks)) is { } why)
        {
            validation.Add("webhookUrl", why);
        }

        return (OutboxChannel.Webhook, input.WebhookUrl!);
    }

    /// <summary>The private receivers an anonymous subscriber may name: none, unless explicitly enabled.</summary>
    private static List<string> SubscriberPrivateHosts(WebhookOptions webhooks) =>
        webhooks.AllowPrivateHostsForSubscribers ? webhooks.AllowedPrivateHosts : [];

    /// <summary>Resolves the webhook's host now too, so an address that only resolves to private ones is refused up front (it is checked again at every connect).</summary>
    private static async Task<bool> ResolvesPubliclyAsync(string url, WebhookOptions webhooks, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        if (PrivateHosts.Allow(SubscriberPrivateHosts(webhooks), uri))
        {
            return true;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, timeout.Token);
            return addresses.Any(WebhookSender.IsPublic);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException or ArgumentException)
        {
            return false;
        }
    }

    private static string ReadScope(string? scope, Validation validation)
    {
        if (scope is null or "all")
        {
            return Subscriber.AllCrises;
        }

        if (!CrisisIds.IsWellFormed(scope))
        {
            validation.Add("scope", "must be \"all\" or a crisis id.");
        }

        return scope;
    }

    private static void ReadTopics(List<string>? topics, Validation validation)
    {
        validation.Count("topics", topics, MaxTopics);
        foreach (var (topic, i) in (topics ?? []).Select((t, i) => (t, i)))
        {
            if (!Topics.IsValid(topic))
            {
                validation.Add($"topics[{i}]", Topics.Rule);
            }
        }
    }

    /// <summary>What the contact hash is taken of: email addresses case-folded, numbers and URLs as given.</summary>
    private static string Fingerprint(string hash, string scope, string language, List<string> topics) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { hash, scope, language, topics })));

    [System.Text.RegularExpressions.GeneratedRegex(@"^\+[1-9][0-9]{6,14}\z")]
    private static partial System.Text.RegularExpressions.Regex E164();
}

/// <summary>
/// The small HTML pages behind the links in messages, in the reader's language (?lang, else Accept-Language,
/// among the catalogue's languages) with its lang and dir: escaped text, a form that POSTs back, no scripts.
/// </summary>
public static class SubscriptionPages
{
    public static string Language(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MessageCatalogue.Negotiate(QueryValues.Text(request, "lang"), request.Headers.AcceptLanguage.ToString());
    }

    public static HtmlPage.HtmlResult Form(string language, string titleKey, string textKey, string buttonKey, string? hiddenField)
    {
        var hidden = hiddenField is null ? "" : $"<input type=\"hidden\" name=\"{Encode(hiddenField.Split('=')[0])}\" value=\"{Encode(hiddenField.Split('=')[1])}\">";
        var button = MessageCatalogue.Text(buttonKey, language);
        return Page(200, language, titleKey, $"<p>{Encode(MessageCatalogue.Text(textKey, language))}</p><form method=\"post\">{hidden}<button type=\"submit\">{Encode(button)}</button></form>");
    }

    public static HtmlPage.HtmlResult Message(int status, string language, string titleKey, string textKey) =>
        Page(status, language, titleKey, $"<p>{Encode(MessageCatalogue.Text(textKey, language))}</p>");

    /// <summary>The page for a problem answer: what happened to the link, said in the reader's language, with the problem's status.</summary>
    public static HtmlPage.HtmlResult ForProblem(ProblemHttpResult problem, string language)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var (title, text) = (problem.ProblemDetails.Type, problem.StatusCode) switch
        {
            (Problems.TokenExpired, _) => (MessageKeys.PageLinkUnusableTitle, MessageKeys.PageLinkExpiredText),
            (Problems.InvalidToken, _) => (MessageKeys.PageLinkUnusableTitle, MessageKeys.PageLinkInvalidText),
            (Problems.TokenUsed, _) => (MessageKeys.PageLinkUsedTitle, MessageKeys.PageLinkUsedText),
            (Problems.NotFound, 410) => (MessageKeys.PageGoneTitle, MessageKeys.PageGoneText),
            (Problems.Forbidden, 403) => (MessageKeys.LinksFormRefusedTitle, MessageKeys.LinksFormRefusedText),
            _ => (MessageKeys.PageErrorTitle, MessageKeys.PageErrorText),
        };
        return Message(problem.StatusCode, language, title, text);
    }

    private static HtmlPage.HtmlResult Page(int status, string language, string titleKey, string body)
    {
        var title = MessageCatalogue.Text(titleKey, language);
        return HtmlPage.Result(status, new HtmlPage.Content(language, title, $"<h1>{Encode(title)}</h1>{body}") { NoIndex = true });
    }

    private static string Encode(string text) => HtmlPage.Encode(text);
}
