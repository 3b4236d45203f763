using System.Collections.Concurrent;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Messages;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Subscriptions;

/// <summary>The signed links a subscriber gets: each single-purpose, each expiring.</summary>
public sealed class SubscriptionLinks(SignedTokens tokens, IOptions<SubscriptionOptions> options, IOptions<PublicPagesOptions> pages)
{
    public const string ConfirmPurpose = "subscription-confirm";
    public const string ManagePurpose = "subscription-manage";
    public const string UnsubscribePurpose = "subscription-unsubscribe";

    public string Confirm(Subscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        // The confirm page is the first a new subscriber sees: it speaks their language, whatever their browser's.
        return Link("confirm", tokens.Create(ConfirmPurpose, $"{subscriber.Id}|{subscriber.Nonce}", options.Value.ConfirmLinkLifetime))
            + "&lang=" + Uri.EscapeDataString(subscriber.Language);
    }

    public string Manage(string subscriberId) => Link("manage", tokens.Create(ManagePurpose, subscriberId, options.Value.ManageLinkLifetime));

    public string Unsubscribe(string subscriberId) => Link("unsubscribe", tokens.Create(UnsubscribePurpose, subscriberId, options.Value.ManageLinkLifetime));

    private string Link(string action, string token) =>
        $"{pages.Value.BaseUrl.AbsoluteUri.TrimEnd('/')}/api/subscriptions/{action}?token={Uri.EscapeDataString(token)}";
}

/// <summary>
/// The confirmation message of a subscription, made when it is sent: a confirm link while it is pending, the
/// manage link if it was confirmed meanwhile (someone asked again), nothing once it is gone. In the subscriber's
/// language, else the crisis' default language.
/// </summary>
public sealed class ConfirmationMessages(SubscriberStore store, CrisisStore crises, SubscriptionLinks links, IOptions<SmsOptions> sms) : IDeferredMessages
{
    public const string KindName = "subscription-confirm";

    public string Kind => KindName;

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(reference, cancellationToken) is not { Subscriber: var subscriber } || subscriber.Status == SubscriberStatus.Quarantined)
        {
            return new Rendering(null, "cancelled", "The subscription no longer exists.");
        }

        var crisis = subscriber.Scope == Subscriber.AllCrises ? null : (await crises.GetAsync(subscriber.Scope, cancellationToken))?.Crisis;
        var language = MessageCatalogue.Resolve(subscriber.Language, crisis?.DefaultLanguage);
        var title = crisis is null ? "" : crisis.Localised(crisis.Title, language);
        string What(string shownTitle) => crisis is null
            ? MessageCatalogue.Text(MessageKeys.ScopeAll, language)
            : MessageCatalogue.Text(MessageKeys.ScopeCrisis, language, ("title", shownTitle));
        var manage = links.Manage(subscriber.Id);
        var unsubscribe = links.Unsubscribe(subscriber.Id);
        var key = $"confirm|{subscriber.Id}|{subscriber.Nonce}";
        var compose = new SubscriptionMessages(language, sms.Value.MaxSegments);
        if (subscriber.Status == SubscriberStatus.Pending)
        {
            var confirm = links.Confirm(subscriber);
            var subject = MessageCatalogue.Text(MessageKeys.ConfirmSubject, language);
            var text = MessageCatalogue.Text(MessageKeys.ConfirmBody, language, ("what", What(title)), ("link", confirm));
            var webhook = JsonSerializer.Serialize(new { type = "subscription.confirm", title = subject, language, subscriptionId = subscriber.Id, scope = subscriber.Scope, confirmUrl = confirm, links = new { manage, unsubscribe } }, JsonBody.Options);
            var smsText = new SmsDraft(title, t => MessageCatalogue.Text(MessageKeys.ConfirmSms, language, ("what", What(t)), ("link", confirm)), WithStop: false);
            return new Rendering(compose.Compose(key, subscriber, subject, text, smsText, webhook, manage, unsubscribe));
        }

        var already = MessageCatalogue.Text(MessageKeys.AlreadySubject, language);
        var body = MessageCatalogue.Text(MessageKeys.AlreadyBody, language, ("what", What(title)), ("link", manage));
        var json = JsonSerializer.Serialize(new { type = "subscription.active", title = already, language, subscriptionId = subscriber.Id, scope = subscriber.Scope, links = new { manage, unsubscribe } }, JsonBody.Options);
        var smsAlready = new SmsDraft(title, t => MessageCatalogue.Text(MessageKeys.AlreadySms, language, ("what", What(t)), ("link", manage)), WithStop: false);
        return new Rendering(compose.Compose(key, subscriber, already, body, smsAlready, json, manage, unsubscribe));
    }

    public Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>
/// A published update for one subscriber, made when it is sent: in the subscriber's language (or the crisis'
/// fallback), with the public page link and fresh manage and unsubscribe links, times in the crisis' time zone.
/// A subscriber who left gets nothing; a quarantined one is recorded as such; failures in a row quarantine the subscriber.
/// </summary>
public sealed class UpdateNotifications(SubscriberStore store, CrisisStore crises, PagePublisher publisher, SubscriptionLinks links, IOptions<SubscriptionOptions> options, IOptions<SmsOptions> sms, TimeProvider time, ILogger<UpdateNotifications> logger)
    : IDeferredMessages
{
    public const string KindName = "crisis-update";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, Task<(CrisisRecord, CrisisUpdate)?> Value)> _updates = new(StringComparer.Ordinal);

    public string Kind => KindName;

    public static string Reference(string crisisId, string updateId, string subscriberId) => $"{crisisId}|{updateId}|{subscriberId}";

    /// <summary>The outbox key of an update for a subscriber: one message per subscriber and update, ever.</summary>
    public static string Key(string crisisId, string updateId, string subscriberId) => $"{KeyPrefix(crisisId, updateId)}{subscriberId}";

    public static string KeyPrefix(string crisisId, string? updateId = null) => updateId is null ? $"u|{crisisId}|" : $"u|{crisisId}|{updateId}|";

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken) =>
        await RenderForAsync(reference, (await store.GetAsync(reference.Split('|')[2], cancellationToken))?.Subscriber, cancellationToken);

    /// <summary>Reads the subscribers of many messages at once (they come from one shard, in key order, so mostly from one key range).</summary>
    public async Task<Func<string, Task<Rendering>>> PrepareAsync(IReadOnlyList<string> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        var batch = await store.GetManyAsync([.. references.Select(r => r.Split('|')[2])], cancellationToken);
        return reference => batch.Found.TryGetValue(reference.Split('|')[2], out var subscriber) ? RenderForAsync(reference, subscriber.Value, cancellationToken)
            : batch.Complete ? RenderForAsync(reference, null, cancellationToken)
            : RenderAsync(reference, cancellationToken);
    }

    private async Task<Rendering> RenderForAsync(string reference, Subscriber? found, CancellationToken cancellationToken)
    {
        var parts = reference.Split('|');
        if (found is not { } subscriber || subscriber.Status == SubscriberStatus.Pending)
        {
            return new Rendering(null, "cancelled", "The subscriber left before the message was sent.");
        }

        if (subscriber.Status == SubscriberStatus.Quarantined)
        {
            return new Rendering(null, "quarantined", subscriber.LastError);
        }

        if (await UpdateAsync(parts[0], parts[1], cancellationToken) is not var (crisis, update))
        {
            return new Rendering(null, "cancelled", "The update no longer exists.");
        }

        var language = Languages.Negotiate(subscriber.Language, null, [.. update.Text.Keys.Intersect(crisis.Languages)], crisis.DefaultLanguage);
        var words = MessageCatalogue.Resolve(language, crisis.DefaultLanguage);
        var title = crisis.Localised(crisis.Title, language);
        var updateText = update.Text.GetValueOrDefault(language) ?? update.Text[crisis.DefaultLanguage];
        var page = publisher.Links(crisis.Id, language, crisis.PublicPageUrl).Preferred;
        var manage = links.Manage(subscriber.Id);
        var unsubscribe = links.Unsubscribe(subscriber.Id);
        var text = MessageCatalogue.Text(MessageKeys.UpdateBody, words,
            ("title", title), ("text", updateText), ("published", LocalTimes.Format(update.PublishedAt!.Value, crisis.TimeZone, words)), ("link", page));
        if (update.NextUpdateExpectedAt is { } next)
        {
            text += "\n\n" + MessageCatalogue.Text(MessageKeys.UpdateNextExpected, words, ("time", LocalTimes.Format(next, crisis.TimeZone, words)));
        }

        var subject = MessageCatalogue.Text(MessageKeys.UpdateSubject, words, ("title", title));
        var webhook = JsonSerializer.Serialize(new
        {
            type = "crisis.update",
            title = subject,
            crisis = new { id = crisis.Id, title, severity = crisis.Severity, status = crisis.Status, timeZone = crisis.TimeZone },
            update = new { id = update.Id, text = updateText, publishedAt = update.PublishedAt, nextUpdateExpectedAt = update.NextUpdateExpectedAt },
            language,
            links = new { page, manage, unsubscribe },
        }, JsonBody.Options);
        var smsText = new SmsDraft($"{title}: {updateText}", content => $"{content} {MessageCatalogue.Isolate(page, words)}");

        // The update itself may be in a language the catalogue lacks: then the words around it are in another, and both are named.
        var contentLanguage = words == language ? language : $"{language}, {words}";
        return new Rendering(
            new SubscriptionMessages(words, sms.Value.MaxSegments, contentLanguage).Compose(Key(crisis.Id, update.Id, subscriber.Id), subscriber, subject, text, smsText, webhook, manage, unsubscribe),
            PriorFailures: subscriber.Failures);
    }

    public async Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rendering);
        if (failure is null && rendering.PriorFailures == 0)
        {
            return false;
        }

        var subscriberId = reference.Split('|')[2];
        if (!await store.RecordAttemptAsync(subscriberId, failure, options.Value.QuarantineAfterFailures, cancellationToken))
        {
            return false;
        }

        logger.LogWarning("Subscriber {SubscriberId} quarantined after {Failures} failed deliveries in a row: {Error}", subscriberId, options.Value.QuarantineAfterFailures, failure);
        return true;
    }

    private Task<(CrisisRecord, CrisisUpdate)?> UpdateAsync(string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var key = crisisId + "|" + updateId;
        if (_updates.TryGetValue(key, out var cached) && cached.At > now - CacheFor && !cached.Value.IsFaulted)
        {
            return cached.Value;
        }

        var load = LoadAsync(crisisId, updateId, cancellationToken);
        _updates[key] = (now, load);
        foreach (var stale in _updates.Where(e => e.Value.At <= now - CacheFor).Select(e => e.Key).ToList())
        {
            _updates.TryRemove(stale, out _);
        }

        return load;
    }

    private async Task<(CrisisRecord, CrisisUpdate)?> LoadAsync(string crisisId, string updateId, CancellationToken cancellationToken)
    {
        var crisis = (await crises.GetAsync(crisisId, cancellationToken))?.Crisis;
        var update = (await crises.GetUpdateAsync(crisisId, updateId, cancellationToken))?.Update;
        return crisis is null || update is not { IsPublic: true } ? null : (crisis, update);
    }
}

/// <summary>
/// The "this crisis is over" message for one confirmed subscriber, made when it is sent, in the subscriber's
/// language (or the crisis' fallback) with the public page link. Its key names crisis and subscriber, so however
/// often the fan-out is retried, each subscriber hears it once.
/// </summary>
public sealed class CrisisEndedMessages(SubscriberStore store, CrisisStore crises, PagePublisher publisher, SubscriptionLinks links, IOptions<SmsOptions> sms) : IDeferredMessages
{
    public const string KindName = "crisis-ended";

    public string Kind => KindName;

    public static string Reference(string crisisId, string subscriberId) => $"{crisisId}|{subscriberId}";

    public static string Key(string crisisId, string subscriberId) => $"e|{crisisId}|{subscriberId}";

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken)
    {
        var parts = reference.Split('|');
        if (await store.GetAsync(parts[1], cancellationToken) is not { Subscriber: { Status: SubscriberStatus.Confirmed } subscriber })
        {
            return new Rendering(null, "cancelled", "The subscriber left, or is not confirmed.");
        }

        if ((await crises.GetAsync(parts[0], cancellationToken))?.Crisis is not { } crisis)
        {
            return new Rendering(null, "cancelled", "The crisis no longer exists.");
        }

        var language = Languages.Negotiate(subscriber.Language, null, crisis.Languages, crisis.DefaultLanguage);
        var words = MessageCatalogue.Resolve(language, crisis.DefaultLanguage);
        var title = crisis.Localised(crisis.Title, language);
        var page = publisher.Links(crisis.Id, language, crisis.PublicPageUrl).Preferred;
        var manage = links.Manage(subscriber.Id);
        var unsubscribe = links.Unsubscribe(subscriber.Id);
        var subject = MessageCatalogue.Text(MessageKeys.EndedSubject, words, ("title", title));
        var text = MessageCatalogue.Text(MessageKeys.EndedBody, words, ("title", title), ("link", page));
        var webhook = JsonSerializer.Serialize(new
        {
            type = "crisis.ended",
            title = subject,
            crisis = new { id = crisis.Id, title, status = crisis.Status, endedAt = crisis.EndedAt },
            language,
            links = new { page, manage, unsubscribe },
        }, JsonBody.Options);
        var smsText = new SmsDraft(title, t => MessageCatalogue.Text(MessageKeys.EndedSms, words, ("title", t)) + " " + MessageCatalogue.Isolate(page, words));
        var contentLanguage = words == language ? language : $"{language}, {words}";
        return new Rendering(new SubscriptionMessages(words, sms.Value.MaxSegments, contentLanguage).Compose(Key(crisis.Id, subscriber.Id), subscriber, subject, text, smsText, webhook, manage, unsubscribe));
    }

    public Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>
/// An SMS before it is fitted: the content that may be shortened, and the text made around it (links stay whole).
/// Texts to confirmed subscribers end with the stop instruction; a confirmation request (nothing is sent unless
/// confirmed) and the already-subscribed answer (its link manages and stops) carry their own link instead.
/// </summary>
public sealed record SmsDraft(string Content, Func<string, string> Render, bool WithStop = true);

/// <summary>
/// The message for the subscriber's channel, in one language. Email: text and HTML (with lang and dir) with a
/// footer of manage and unsubscribe links, Content-Language and the RFC 8058 one-click headers. SMS: the text
/// fitted to the configured segments, ending with the stop instruction and its link. Webhook: the JSON.
/// </summary>
public sealed class SubscriptionMessages(string language, int maxSegments, string? contentLanguage = null)
{
    public OutboxMessage Compose(string key, Subscriber subscriber, string subject, string text, SmsDraft sms, string webhookBody, string manage, string unsubscribe)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(sms);
        var full = $"{text}\n\n--\n{MessageCatalogue.Text(MessageKeys.FooterManage, language, ("link", manage))}\n{MessageCatalogue.Text(MessageKeys.FooterUnsubscribe, language, ("link", unsubscribe))}\n";
        var headers = new Dictionary<string, string>
        {
            ["List-Unsubscribe"] = $"<{unsubscribe}>",
            ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
            ["Content-Language"] = contentLanguage ?? language,
        };

        return subscriber.Channel switch
        {
            OutboxChannel.Email => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Email, subscriber.Address, subject, full, PlainText.Document(PlainText.ToHtmlWithLinks(full), language), null, headers),
            OutboxChannel.Sms => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Sms, subscriber.Address, subject, Sms(sms, unsubscribe), ""),
            _ => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Webhook, subscriber.Address, subject, full, "", webhookBody),
        };
    }

    /// <summary>A message that needs no footer (the contact has just left): the text alone, in the same language.</summary>
    public OutboxMessage Farewell(string key, Subscriber subscriber, string subject, string text, string sms, string webhookBody)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var headers = new Dictionary<string, string> { ["Content-Language"] = language };
        return subscriber.Channel switch
        {
            OutboxChannel.Email => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Email, subscriber.Address, subject, text + "\n", PlainText.Document(PlainText.ToHtmlWithLinks(text), language), null, headers),
            OutboxChannel.Sms => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Sms, subscriber.Address, subject, SmsSegments.Fit(sms, s => s, maxSegments), ""),
            _ => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Webhook, subscriber.Address, subject, text, "", webhookBody),
        };
    }

    private string Sms(SmsDraft sms, string unsubscribe)
    {
        var stop = sms.WithStop ? " " + MessageCatalogue.Text(MessageKeys.SmsStop, language, ("link", unsubscribe)) : "";
        return SmsSegments.Fit(sms.Content, content => sms.Render(content) + stop, maxSegments);
    }
}
