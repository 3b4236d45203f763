using System.Collections.Concurrent;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
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
        return Link("confirm", tokens.Create(ConfirmPurpose, $"{subscriber.Id}|{subscriber.Nonce}", options.Value.ConfirmLinkLifetime));
    }

    public string Manage(string subscriberId) => Link("manage", tokens.Create(ManagePurpose, subscriberId, options.Value.ManageLinkLifetime));

    public string Unsubscribe(string subscriberId) => Link("unsubscribe", tokens.Create(UnsubscribePurpose, subscriberId, options.Value.ManageLinkLifetime));

    private string Link(string action, string token) =>
        $"{pages.Value.BaseUrl.AbsoluteUri.TrimEnd('/')}/api/subscriptions/{action}?token={Uri.EscapeDataString(token)}";
}

/// <summary>
/// The confirmation message of a subscription, made when it is sent: a confirm link while it is pending, the
/// manage link if it was confirmed meanwhile (someone asked again), nothing once it is gone.
/// </summary>
public sealed class ConfirmationMessages(SubscriberStore store, CrisisStore crises, SubscriptionLinks links) : IDeferredMessages
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
        var what = crisis is null ? "all crisis updates" : $"updates on \"{crisis.Localised(crisis.Title, subscriber.Language)}\"";
        var manage = links.Manage(subscriber.Id);
        var unsubscribe = links.Unsubscribe(subscriber.Id);
        var key = $"confirm|{subscriber.Id}|{subscriber.Nonce}";
        if (subscriber.Status == SubscriberStatus.Pending)
        {
            var confirm = links.Confirm(subscriber);
            var text = $"Someone, hopefully you, asked to receive {what} here.\n\nTo confirm, open:\n{confirm}\n\n" +
                       "If it was not you, ignore this message: nothing more will be sent.";
            var webhook = JsonSerializer.Serialize(new { type = "subscription.confirm", subscriptionId = subscriber.Id, scope = subscriber.Scope, confirmUrl = confirm, links = new { manage, unsubscribe } }, JsonBody.Options);
            return new Rendering(SubscriptionMessages.Compose(key, subscriber, "Confirm your subscription", text, $"Confirm {what}: {confirm}", webhook, null, manage, unsubscribe));
        }

        var already = $"You asked to receive {what} here, and you already do.\n\nChange or stop your subscription here:\n{manage}";
        var body = JsonSerializer.Serialize(new { type = "subscription.active", subscriptionId = subscriber.Id, scope = subscriber.Scope, links = new { manage, unsubscribe } }, JsonBody.Options);
        return new Rendering(SubscriptionMessages.Compose(key, subscriber, "You are already subscribed", already, $"Already subscribed to {what}. Manage: {manage}", body, null, manage, unsubscribe));
    }

    public Task<bool> AfterAttemptAsync(string reference, Rendering rendering, string? failure, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>
/// A published update for one subscriber, made when it is sent: in the subscriber's language (or the crisis'
/// fallback), with the public page link and fresh manage and unsubscribe links. A subscriber who left gets
/// nothing; a quarantined one is recorded as such; failures in a row quarantine the subscriber.
/// </summary>
public sealed class UpdateNotifications(SubscriberStore store, CrisisStore crises, PagePublisher publisher, SubscriptionLinks links, IOptions<SubscriptionOptions> options, TimeProvider time, ILogger<UpdateNotifications> logger)
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

    public async Task<Rendering> RenderAsync(string reference, CancellationToken cancellationToken)
    {
        var parts = reference.Split('|');
        var found = await store.GetAsync(parts[2], cancellationToken);
        if (found is not { Subscriber: var subscriber } || subscriber.Status == SubscriberStatus.Pending)
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
        var title = crisis.Localised(crisis.Title, language);
        var updateText = update.Text.GetValueOrDefault(language) ?? update.Text[crisis.DefaultLanguage];
        var page = publisher.Links(crisis.Id, language, crisis.PublicPageUrl).Preferred;
        var manage = links.Manage(subscriber.Id);
        var unsubscribe = links.Unsubscribe(subscriber.Id);
        var text = $"{title}\n\n{updateText}\n\nThe latest on this crisis:\n{page}";
        var webhook = JsonSerializer.Serialize(new
        {
            type = "crisis.update",
            crisis = new { id = crisis.Id, title, severity = crisis.Severity, status = crisis.Status },
            update = new { id = update.Id, text = updateText, publishedAt = update.PublishedAt, nextUpdateExpectedAt = update.NextUpdateExpectedAt },
            language,
            links = new { page, manage, unsubscribe },
        }, JsonBody.Options);
        var sms = $"{title}: {Clip(updateText, 300)} {page}";
        return new Rendering(
            SubscriptionMessages.Compose(Key(crisis.Id, update.Id, subscriber.Id), subscriber, $"Update: {title}", text, sms, webhook, language, manage, unsubscribe),
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

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

public static class SubscriptionMessages
{
    /// <summary>
    /// The message for the subscriber's channel. Email: text and HTML with a footer of manage and unsubscribe
    /// links, and the RFC 8058 one-click headers. SMS: the short text and the unsubscribe link. Webhook: the JSON.
    /// </summary>
    public static OutboxMessage Compose(string key, Subscriber subscriber, string subject, string text, string sms, string webhookBody, string? language, string manage, string unsubscribe)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var full = $"{text}\n\n--\nManage your subscription: {manage}\nUnsubscribe: {unsubscribe}\n";
        var headers = new Dictionary<string, string>
        {
            ["List-Unsubscribe"] = $"<{unsubscribe}>",
            ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
        };
        if (language is not null)
        {
            headers["Content-Language"] = language;
        }

        return subscriber.Channel switch
        {
            OutboxChannel.Email => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Email, subscriber.Address, subject, full, PlainText.ToHtmlWithLinks(full), null, headers),
            OutboxChannel.Sms => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Sms, subscriber.Address, subject, $"{sms} Stop: {unsubscribe}", ""),
            _ => new OutboxMessage(key, subscriber.Scope, OutboxChannel.Webhook, subscriber.Address, subject, full, "", webhookBody),
        };
    }
}
