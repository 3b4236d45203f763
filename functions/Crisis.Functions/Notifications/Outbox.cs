using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Tables;

namespace Crisis.Functions.Notifications;

public enum OutboxChannel
{
    Email,
    Webhook,
}

/// <summary>
/// One message to one recipient. <see cref="Key"/> is deterministic (what, for whom, which occurrence), so
/// enqueueing the same message twice queues it once. <see cref="Source"/> groups deliveries for reporting.
/// </summary>
public sealed record OutboxMessage(
    string Key,
    string Source,
    OutboxChannel Channel,
    string Address,
    string Subject,
    string Text,
    string Html,
    string? WebhookBody = null,
    Dictionary<string, string>? Headers = null);

public sealed record DispatchResult(int Sent, int Retried, int Failed, int Skipped);

/// <summary>
/// The durable outbox. Each message has a permanent record <c>r|{key}</c> and, while undelivered, a pending
/// marker <c>p|{key}</c> in the same partition (one of 16 shards), written and completed together by
/// entity-group transactions. Senders claim a marker with an ETag-guarded update, so two instances never send
/// the same message at once; a claim left by a crashed run expires and the message is sent again with the
/// same id (webhook-id / Message-ID), which receivers use to recognise the repeat.
/// </summary>
public sealed class Outbox(CrisisStorage storage, IEmailSender email, WebhookSender webhooks, TimeProvider time, ILogger<Outbox> logger)
{
    public const string TableName = "outbox";
    public const int Shards = 16;
    public const int MaxAttempts = 8;
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Queues the message unless a message with its key was ever queued; true when it queued it now.</summary>
    public async Task<bool> EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = Shard(message.Key);
        var key = RowKeyOf(message.Key);
        try
        {
            await table.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.Add, new TableEntity(partition, "r|" + key)
                {
                    ["Key"] = message.Key,
                    ["Source"] = message.Source,
                    ["Channel"] = message.Channel.ToString(),
                    ["Status"] = "queued",
                    ["QueuedAt"] = time.GetUtcNow(),
                }),
                new(TableTransactionActionType.Add, new TableEntity(partition, "p|" + key)
                {
                    ["Data"] = JsonSerializer.Serialize(message, JsonBody.Options),
                    ["Status"] = "queued",
                    ["Attempts"] = 0,
                    ["NextAttemptAt"] = time.GetUtcNow(),
                }),
            ], cancellationToken);
            return true;
        }
        catch (StorageConflictException)
        {
            return false;
        }
    }

    /// <summary>Sends what is due, oldest first per shard, up to <paramref name="max"/> messages; stops cleanly when cancelled.</summary>
    public async Task<DispatchResult> DispatchAsync(int max, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        int sent = 0, retried = 0, failed = 0, skipped = 0;
        var now = time.GetUtcNow();
        for (var shard = 0; shard < Shards && sent + retried + failed < max; shard++)
        {
            var due = TableFilter.PartitionWithRowKeyPrefix(ShardName(shard), "p|").And(TableFilter.Of($"NextAttemptAt le {now}"));
            await foreach (var marker in table.QueryAsync(due, cancellationToken: cancellationToken))
            {
                if (sent + retried + failed >= max)
                {
                    break;
                }

                cancellationToken.ThrowIfCancellationRequested();
                switch (await DeliverAsync(table, marker, cancellationToken))
                {
                    case "sent": sent++; break;
                    case "retry": retried++; break;
                    case "failed": failed++; break;
                    default: skipped++; break;
                }
            }
        }

        if (sent + retried + failed > 0)
        {
            logger.LogInformation("Outbox: {Sent} sent, {Retried} to retry, {Failed} failed, {Skipped} skipped", sent, retried, failed, skipped);
        }

        return new DispatchResult(sent, retried, failed, skipped);
    }

    private async Task<string> DeliverAsync(TableClient table, TableEntity marker, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (marker.GetString("Status") == "sending" && marker.GetDateTimeOffset("ClaimedAt") > now - ClaimTimeout)
        {
            return "skipped";
        }

        var attempts = (marker.GetInt32("Attempts") ?? 0) + 1;
        marker["Status"] = "sending";
        marker["ClaimedAt"] = now;
        marker["Attempts"] = attempts;
        ETag claim;
        try
        {
            claim = await table.UpdateEntityAsync(marker, marker.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (Exception e) when (e is StoragePreconditionFailedException or StorageNotFoundException)
        {
            return "skipped";
        }

        // A send once started is finished (each sender has its own timeout) and recorded: cancellation only
        // stops a run between messages, so it never leaves a message delivered but unrecorded.
        var message = JsonSerializer.Deserialize<OutboxMessage>(marker.GetString("Data")!, JsonBody.Options)!;
        string? error;
        try
        {
            error = await SendAsync(message, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            error = "timed out";
        }

        var recordKey = "r|" + marker.RowKey[2..];
        if (error is null || attempts >= MaxAttempts)
        {
            var status = error is null ? "sent" : "failed";
            await CompleteAsync(table, marker, claim, recordKey, status, attempts, error, CancellationToken.None);
            if (error is not null)
            {
                logger.LogWarning("Outbox: {Key} failed after {Attempts} attempts: {Error}", message.Key, attempts, error);
            }

            return status;
        }

        var retry = new TableEntity(marker.PartitionKey, marker.RowKey)
        {
            ["Status"] = "retry",
            ["LastError"] = error,
            ["NextAttemptAt"] = now + Backoff(attempts),
        };
        await IgnoreLostClaimAsync(() => table.UpdateEntityAsync(retry, claim, TableUpdateMode.Merge, CancellationToken.None));
        return "retry";
    }

    private Task CompleteAsync(TableClient table, TableEntity marker, ETag claim, string recordKey, string status, int attempts, string? error, CancellationToken cancellationToken) =>
        IgnoreLostClaimAsync(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpdateMerge, new TableEntity(marker.PartitionKey, recordKey)
            {
                ["Status"] = status,
                ["Attempts"] = attempts,
                ["CompletedAt"] = time.GetUtcNow(),
                ["LastError"] = error,
            }),
            new(TableTransactionActionType.Delete, new TableEntity(marker.PartitionKey, marker.RowKey), claim),
        ], cancellationToken));

    /// <summary>A claim that expired and was taken over: the other sender owns the message now.</summary>
    private static async Task IgnoreLostClaimAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is StoragePreconditionFailedException or StorageNotFoundException)
        {
            // Someone else completed or re-claimed it.
        }
    }

    /// <summary>Sends one message; null when delivered, else why not.</summary>
    private async Task<string?> SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (message.Channel == OutboxChannel.Email)
            {
                await email.SendAsync(new EmailMessage(message.Address, message.Subject, message.Text, message.Html, $"<{RowKeyOf(message.Key)}@crisis-functions>", message.Headers), cancellationToken);
                return null;
            }

            var status = await webhooks.SendAsync(new Uri(message.Address), RowKeyOf(message.Key), Encoding.UTF8.GetBytes(message.WebhookBody ?? "{}"), cancellationToken);
            return status is >= 200 and < 300 ? null : $"HTTP {status}";
        }
        catch (Exception e) when (e is System.Net.Mail.SmtpException or HttpRequestException or UnsafeWebhookException or InvalidOperationException or IOException or FormatException)
        {
            return e.Message;
        }
    }

    private static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, attempts - 1)));

    private static string Shard(string key) => ShardName(SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] % Shards);

    private static string ShardName(int shard) => "o" + shard.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>Keys name crises and recipients; anything a table key forbids is replaced.</summary>
    private static string RowKeyOf(string key) =>
        string.Concat(key.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c));
}
