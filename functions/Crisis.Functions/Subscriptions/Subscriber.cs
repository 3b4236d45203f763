using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Crisis.Functions.Notifications;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Subscriptions;

public enum SubscriberStatus
{
    /// <summary>Asked to subscribe, not yet confirmed: receives nothing but the confirmation.</summary>
    Pending,
    Confirmed,

    /// <summary>Kept failing; receives nothing until an admin re-activates it or the contact subscribes again.</summary>
    Quarantined,
}

/// <summary>
/// One subscription: a contact (email, phone or webhook), a scope (one crisis, or "*" for all), a language and
/// optional topics. The raw address is kept only here, to deliver; everything else finds it by its keyed hash.
/// </summary>
public sealed record Subscriber
{
    public const string AllCrises = "*";

    public required string Id { get; init; }

    public required OutboxChannel Channel { get; init; }

    public required string Address { get; init; }

    public required string ContactHash { get; init; }

    public required string Scope { get; init; }

    public required string Language { get; init; }

    public List<string> Topics { get; init; } = [];

    public required SubscriberStatus Status { get; init; }

    /// <summary>The secret a confirmation link must carry; a new one for every request to subscribe, gone once confirmed.</summary>
    public string? Nonce { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When confirmation was last asked for; a subscription still pending when its links have expired is deleted.</summary>
    public DateTimeOffset? RequestedAt { get; init; }

    public DateTimeOffset? ConfirmedAt { get; init; }

    /// <summary>Failed delivery attempts in a row.</summary>
    public int Failures { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? QuarantinedAt { get; init; }

    /// <summary>Whether a subscriber with <paramref name="topics"/> gets an update about <paramref name="topic"/>: untopical updates reach everyone, and no topics means all.</summary>
    public static bool Wants(IReadOnlyCollection<string> topics, string? topic) => topic is null || topics.Count == 0 || topics.Contains(topic);
}

public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>Base64 of at least 32 random bytes: the key of the contact hash. Changing it orphans every subscription.</summary>
    [Required]
    public string ContactHashKey { get; set; } = "";

    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan ConfirmLinkLifetime { get; set; } = TimeSpan.FromHours(48);

    [Range(typeof(TimeSpan), "1.00:00:00", "400.00:00:00")]
    public TimeSpan ManageLinkLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Confirmation messages one mailbox (whatever its <c>+tag</c>) can be sent per UTC day, whoever asks.</summary>
    [Range(1, 100)]
    public int MaxConfirmationsPerContactPerDay { get; set; } = 3;

    /// <summary>How often a subscribed contact can be sent its manage link again by asking to subscribe; the confirmation cap never stops it.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ManageLinkInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Failed attempts in a row after which a subscriber is quarantined.</summary>
    [Range(1, 1000)]
    public int QuarantineAfterFailures { get; set; } = 10;
}

/// <summary>Finds contacts by a keyed hash (HMAC-SHA256), so neither keys nor logs hold an address.</summary>
public sealed class ContactHasher(IOptions<SubscriptionOptions> options)
{
    /// <summary>The hash of an address as given: emails compare case-insensitively, phone numbers and URLs as they are.</summary>
    public string HashOf(OutboxChannel channel, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Hash(channel, channel == OutboxChannel.Email ? address.ToUpperInvariant().ToLowerInvariant() : address);
    }

    /// <summary>
    /// The hash message limits count under: one mailbox whatever its subaddress (RFC 5233: <c>name+tag@</c> is
    /// delivered to <c>name@</c>), so a limit cannot be dodged by adding tags to a victim's address.
    /// </summary>
    public string MailboxHashOf(OutboxChannel channel, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (channel != OutboxChannel.Email)
        {
            return HashOf(channel, address);
        }

        var at = address.LastIndexOf('@');
        var plus = address.IndexOf('+', StringComparison.Ordinal);
        return HashOf(channel, plus > 0 && plus < at ? address[..plus] + address[at..] : address);
    }

    public string Hash(OutboxChannel channel, string normalisedAddress)
    {
        var key = Convert.FromBase64String(options.Value.ContactHashKey);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(channel.ToString().ToLowerInvariant() + ":" + normalisedAddress)));
    }

    public static bool IsStrongKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var bytes = new byte[key.Length];
        return Convert.TryFromBase64String(key, bytes, out var length) && length >= 32;
    }
}

/// <summary>How contacts appear to admins: enough to recognise, not enough to harvest.</summary>
public static class ContactMask
{
    public static string Mask(OutboxChannel channel, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        switch (channel)
        {
            case OutboxChannel.Email:
                var at = address.LastIndexOf('@');
                var domain = address[(at + 1)..];
                var dot = domain.LastIndexOf('.');
                return $"{address[0]}***@{domain[0]}***{(dot > 0 ? domain[dot..] : "")}";
            case OutboxChannel.Sms:
                return address.Length <= 6 ? "***" : address[..3] + new string('*', address.Length - 5) + address[^2..];
            default:
                return Uri.TryCreate(address, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}/***" : "***";
        }
    }
}

public static class SubscriberIds
{
    public static string New() => "sub" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));

    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>The shard of a subscriber, the same number as its outbox shard (<see cref="Outbox.ShardOf"/>), so a fan-out writes one shard's messages in one partition.</summary>
    public static int Shard(string subscriberId) => Outbox.ShardOf(subscriberId);

    public static string Partition(int shard) => "s" + shard.ToString("D2", CultureInfo.InvariantCulture);
}
