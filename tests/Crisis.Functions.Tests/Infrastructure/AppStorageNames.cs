using Crisis.Functions.CannedResponses;
using Crisis.Functions.Crises;
using Crisis.Functions.Feedback;
using Crisis.Functions.Health;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;
using Crisis.Functions.SourceOfTruth;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Touchpoints;
using Crisis.Functions.Triage;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Every table and container the app uses, by logical name.</summary>
public static class AppStorageNames
{
    public static readonly string[] Tables =
    [
        CrisisStore.TableName, FeedbackStore.TableName, HeartbeatTimer.Table, StakeholderStore.StakeholderTable, StakeholderStore.ExpectedUpdateTable,
        StakeholderStore.DueTable, SourceOfTruthStore.SubscriberTable, .. Outbox.TableNames, TouchpointStore.OverrideTable, SubscriberStore.TableName,
        CannedResponseStore.TableName, TriageStore.CountTable,
    ];

    public static readonly string[] Containers =
    [
        ContentStore.ContainerName, PagePublisher.ContainerName, SourceOfTruthStore.ContainerName, TouchpointStore.ContainerName, TriageStore.ContainerName,
    ];
}
