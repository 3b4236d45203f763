using Crisis.Functions.Host.Protocol;

namespace Crisis.Functions.Host.Rpc;

/// <summary>An exception raised inside the worker, carried over the stream as an RpcException.</summary>
internal sealed class WorkerReportedException : Exception
{
    private readonly string? stackTrace;

    public WorkerReportedException()
    {
    }

    public WorkerReportedException(string message)
        : base(message)
    {
    }

    public WorkerReportedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private WorkerReportedException(RpcException exception)
        : base(exception.Message)
    {
        stackTrace = exception.StackTrace;
        Source = exception.Source;
    }

    public override string? StackTrace => string.IsNullOrEmpty(stackTrace) ? base.StackTrace : stackTrace;

    // The worker's text already names the original exception type, and often carries the stack trace too.
    public override string ToString() =>
        string.IsNullOrEmpty(StackTrace) || Message.Contains(StackTrace, StringComparison.Ordinal)
            ? Message
            : $"{Message}{Environment.NewLine}{StackTrace}";

    public static WorkerReportedException? From(RpcException? exception) =>
        exception is null ? null : new WorkerReportedException(exception);
}
