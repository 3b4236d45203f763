using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Notifications;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;

namespace Crisis.Functions.SourceOfTruth;

/// <summary>A decision already taken that affects customers, e.g. "refunds extended to 60 days".</summary>
public sealed record Decision([property: MaxLength(Decision.MaxText)] string Text, DateOnly Date, [property: MaxLength(Decision.MaxDecidedBy)] string DecidedBy)
{
    public const int MaxText = 2000;
    public const int MaxDecidedBy = 200;
}

/// <summary>Wording approved for staff to use, per language.</summary>
public sealed record ApprovedWording(
    [property: MaxLength(ApprovedWording.MaxKey)] string Key,
    [property: LocalisedText(ApprovedWording.MaxText, MaxLanguages = CrisisValidation.MaxLanguages)] Dictionary<string, string> Text)
{
    public const int MaxKey = 100;

    public const int MaxText = 4000;
}

/// <summary>
/// The internal source of truth every staff member reads: impact, who decides, what was decided, what to say.
/// Its limits are declared once, here: the validation reads the constants and the OpenAPI schema the attributes.
/// </summary>
public sealed record SourceOfTruthContent(
    [property: MaxLength(SourceOfTruthContent.MaxImpact)] string Impact,
    [property: MaxLength(SourceOfTruthContent.MaxDecisionMakers), ItemMaxLength(SourceOfTruthContent.MaxDecisionMaker)] List<string> DecisionMakers,
    [property: MaxLength(SourceOfTruthContent.MaxDecisions)] List<Decision> Decisions,
    [property: MaxLength(SourceOfTruthContent.MaxApprovedWording)] List<ApprovedWording> ApprovedWording)
{
    public const int MaxImpact = 10_000;
    public const int MaxDecisionMakers = 50;

    public const int MaxDecisionMaker = 200;
    public const int MaxDecisions = 500;
    public const int MaxApprovedWording = 200;
}

/// <summary>Who owes which update when, derived from the expected updates (never edited here).</summary>
public sealed record UpdateExpectation(string Topic, string OwnerId, string? OwnerName, DateTimeOffset NextDueAt, TimeSpan? Cadence);

public sealed record SourceOfTruthView(int Version, DateTimeOffset? SavedAt, string? SavedBy, SourceOfTruthContent Content, IReadOnlyList<UpdateExpectation> UpdateExpectations);

/// <summary>A staff member who gets one message per saved version.</summary>
public sealed record StaffSubscriber(string Id, string Name, string? Email, string? WebhookUrl, DateTimeOffset CreatedAt);

public sealed record StaffSubscriberRequest(
    [property: MaxLength(StakeholderValidation.MaxName)] string Name,
    [property: MaxLength(Validation.MaxEmail)] string? Email = null,
    [property: MaxLength(Validation.MaxUrl)] string? WebhookUrl = null);

/// <summary>
/// Versioned source-of-truth documents (<c>source-of-truth/{crisis}/v{n}.json</c>, immutable) and the staff
/// who follow them. Saving a version queues one message per subscriber, keyed by version and subscriber.
/// </summary>
public sealed class SourceOfTruthStore(CrisisStorage storage, Outbox outbox, TimeProvider time)
{
    public const string ContainerName = "source-of-truth";
    public const string SubscriberTable = "sotsubscribers";

    private readonly VersionedBlobs _blobs = new(storage, ContainerName, time);

    public static SourceOfTruthContent Empty { get; } = new("", [], [], []);

    public Task<(Versioned<SourceOfTruthContent> Document, ETag ETag)?> GetCurrentAsync(string crisisId, CancellationToken cancellationToken) =>
        _blobs.GetCurrentAsync<SourceOfTruthContent>(crisisId, cancellationToken);

    public Task<Versioned<SourceOfTruthContent>?> GetVersionAsync(string crisisId, int version, CancellationToken cancellationToken) =>
        _blobs.GetVersionAsync<SourceOfTruthContent>(crisisId, version, cancellationToken);

    public Task<IReadOnlyList<int>> ListVersionsAsync(string crisisId, CancellationToken cancellationToken) =>
        _blobs.ListVersionsAsync(crisisId, cancellationToken);

    /// <summary>Saves a new version and queues its notice to every subscriber.</summary>
    public async Task<Versioned<SourceOfTruthContent>> SaveAsync(CrisisRecord crisis, SourceOfTruthContent content, int? expectedVersion, string actor, string link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        var saved = await _blobs.SaveAsync(crisis.Id, content, expectedVersion, actor, cancellationToken);
        var title = crisis.Localised(crisis.Title, crisis.DefaultLanguage);
        foreach (var subscriber in await ListSubscribersAsync(crisis.Id, cancellationToken))
        {
            var subject = string.Create(CultureInfo.InvariantCulture, $"Source of truth v{saved.Version}: {title}");
            var text = $"Hello {subscriber.Name},\n\n{actor} saved version {saved.Version} of the internal source of truth for \"{title}\".\n\nRead it: {link}\n";
            var html = PlainText.ToHtml(text);
            var key = string.Create(CultureInfo.InvariantCulture, $"sot|{crisis.Id}|{saved.Version}|{subscriber.Id}");
            if (subscriber.Email is { } email)
            {
                await outbox.EnqueueAsync(new OutboxMessage(key + "|email", crisis.Id, OutboxChannel.Email, email, subject, text, html), cancellationToken);
            }

            if (subscriber.WebhookUrl is { } webhook)
            {
                var body = System.Text.Json.JsonSerializer.Serialize(new { type = "source-of-truth.saved", crisisId = crisis.Id, version = saved.Version, savedBy = actor, savedAt = saved.SavedAt, link }, JsonBody.Options);
                await outbox.EnqueueAsync(new OutboxMessage(key + "|webhook", crisis.Id, OutboxChannel.Webhook, webhook, subject, text, html, body), cancellationToken);
            }
        }

        return saved;
    }

    public async Task<IReadOnlyList<StaffSubscriber>> ListSubscribersAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(SubscriberTable, cancellationToken);
        var list = new List<StaffSubscriber>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {crisisId}"), cancellationToken: cancellationToken))
        {
            list.Add(new StaffSubscriber(row.RowKey, row.GetString("Name")!, row.GetString("Email"), row.GetString("WebhookUrl"), row.GetDateTimeOffset("CreatedAt")!.Value));
        }

        return list;
    }

    public async Task<StaffSubscriber> AddSubscriberAsync(string crisisId, StaffSubscriberRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var table = await storage.TableAsync(SubscriberTable, cancellationToken);
        var subscriber = new StaffSubscriber(StakeholderStore.NewId(), request.Name.Trim(), request.Email, request.WebhookUrl, time.GetUtcNow());
        await table.InsertAsync(new TableEntity(crisisId, subscriber.Id)
        {
            ["Name"] = subscriber.Name,
            ["Email"] = subscriber.Email,
            ["WebhookUrl"] = subscriber.WebhookUrl,
            ["CreatedAt"] = subscriber.CreatedAt,
        }, cancellationToken);
        return subscriber;
    }

    public async Task<bool> RemoveSubscriberAsync(string crisisId, string subscriberId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(SubscriberTable, cancellationToken);
        return await table.RemoveAsync(crisisId, subscriberId, cancellationToken: cancellationToken);
    }
}
