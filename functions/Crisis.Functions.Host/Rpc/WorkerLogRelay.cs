using System.Collections.Concurrent;
using Crisis.Functions.Host.Protocol;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Rpc;

/// <summary>Writes the worker's RpcLog messages to the host's loggers, under "Worker." plus the worker's category.</summary>
internal sealed class WorkerLogRelay(ILoggerFactory loggerFactory)
{
    private const string CategoryPrefix = "Worker";

    private readonly ConcurrentDictionary<string, ILogger> loggers = new(StringComparer.Ordinal);

    public void Write(RpcLog log)
    {
        var level = ToLogLevel(log.Level);
        var logger = loggers.GetOrAdd(
            log.Category,
            static (category, factory) => factory.CreateLogger(category.Length == 0 ? CategoryPrefix : $"{CategoryPrefix}.{category}"),
            loggerFactory);
        if (level == LogLevel.None || !logger.IsEnabled(level))
        {
            return;
        }

        var eventId = new EventId(0, log.EventId.Length == 0 ? null : log.EventId);
        logger.Log(level, eventId, WorkerReportedException.From(log.Exception), "{WorkerMessage}", log.Message);
    }

    private static LogLevel ToLogLevel(RpcLog.Types.Level level) => level switch
    {
        RpcLog.Types.Level.Trace => LogLevel.Trace,
        RpcLog.Types.Level.Debug => LogLevel.Debug,
        RpcLog.Types.Level.Information => LogLevel.Information,
        RpcLog.Types.Level.Warning => LogLevel.Warning,
        RpcLog.Types.Level.Error => LogLevel.Error,
        RpcLog.Types.Level.Critical => LogLevel.Critical,
        _ => LogLevel.None,
    };
}
