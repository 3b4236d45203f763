using Azure.Data.Tables;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Health;

/// <summary>
/// Records that timers fire, so <c>/api/health</c> can say when the scheduler last ran: a timer that silently
/// stops (a missing schedule setting, a stopped host) is otherwise noticed only when reminders go missing.
/// </summary>
public sealed class HeartbeatTimer(CrisisStorage storage, TimeProvider time, TimerRuns runs) : ITimerFunction
{
    public const string FunctionName = "Heartbeat";
    public const string Table = "timerruns";
    public const string PartitionKey = "heartbeat";

    public string Name => FunctionName;

    [Function(FunctionName)]
    public Task Run([TimerTrigger("%HEARTBEAT_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        runs.RunAsync(this, timer, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var table = await storage.TableAsync(Table, cancellationToken);
        var now = time.GetUtcNow();
        var beat = new TableEntity(PartitionKey, FunctionName)
        {
            ["LastRunAt"] = now,
            ["IsPastDue"] = invocation.IsPastDue,
            ["Instance"] = Environment.MachineName,
        };
        await table.UpsertAsync(beat, TableUpdateMode.Replace, cancellationToken);
        return $"heartbeat recorded at {now:O}";
    }
}
