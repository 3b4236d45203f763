using System.Globalization;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Subscriptions;

/// <summary>
/// The notifications timer: queues the subscribers of published updates (resuming any job a crash or a
/// budget left unfinished), then sends what the outbox holds, then deletes subscriptions never confirmed whose
/// confirmation links have expired. Safe to replay and to run on several instances.
/// </summary>
public sealed class NotificationsTimer(FanoutService fanout, Outbox outbox, SubscriberStore subscribers, IOptions<SubscriptionOptions> options, TimeProvider time, TimerRuns runs) : ITimerFunction
{
    public const string FunctionName = "Notifications";
    public const int MaxQueuedPerRun = 500_000;
    public const int MaxSendsPerRun = 20_000;

    public string Name => FunctionName;

    [Function(FunctionName)]
    public Task Run([TimerTrigger("%NOTIFICATIONS_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        runs.RunAsync(this, timer, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var queued = await fanout.RunAsync(MaxQueuedPerRun, cancellationToken);
        var sent = await outbox.DispatchAsync(MaxSendsPerRun, cancellationToken);
        var purged = await subscribers.PurgeUnconfirmedAsync(time.GetUtcNow() - options.Value.ConfirmLinkLifetime, cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"{queued.Jobs} notification jobs, {queued.Queued} messages queued, {queued.Finished} jobs fully queued; {sent.Sent} sent, {sent.Retried} to retry, {sent.Failed} not delivered, {sent.SetAside} set aside; {purged} unconfirmed subscriptions deleted");
    }
}
