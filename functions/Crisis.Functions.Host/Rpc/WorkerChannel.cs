using System.Collections.Concurrent;
using System.Threading.Channels;
using Crisis.Functions.Host.Protocol;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Rpc;

/// <summary>
/// One worker's EventStream: sends host messages in order and pairs the worker's answers with the requests that
/// wait for them, by request id, or by invocation id for invocations.
/// </summary>
internal sealed class WorkerChannel : IDisposable
{
    private readonly Channel<StreamingMessage> outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> captured = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource closing = new();
    private readonly Lock closingSync = new();
    private readonly WorkerLogRelay logRelay;
    private readonly ILogger logger;
    private bool disposed;

    public WorkerChannel(string workerId, WorkerLogRelay logRelay, ILogger logger)
    {
        WorkerId = workerId;
        this.logRelay = logRelay;
        this.logger = logger;
    }

    public string WorkerId { get; }

    /// <summary>Completes when the stream has ended, for whatever reason.</summary>
    public Task Completion => completion.Task;

    public bool IsOpen => !completion.Task.IsCompleted;

    /// <summary>Keeps the messages the worker logs for <paramref name="invocationId"/> in <paramref name="lines"/> until disposed.</summary>
    public IDisposable CaptureLogs(string invocationId, ConcurrentQueue<string> lines)
    {
        captured[invocationId] = lines;
        return new LogCapture(captured, invocationId);
    }

    private sealed class LogCapture(ConcurrentDictionary<string, ConcurrentQueue<string>> captured, string invocationId) : IDisposable
    {
        public void Dispose() => captured.TryRemove(invocationId, out _);
    }

    /// <summary>Pumps both directions until the worker ends the stream, the call is aborted or <see cref="Close"/> is called.</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> fromWorker, IServerStreamWriter<StreamingMessage> toWorker, CancellationToken callAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(callAborted, closing.Token);
        var writing = WriteAsync(toWorker, stop.Token);
        try
        {
            while (await fromWorker.MoveNext(stop.Token))
            {
                Dispatch(fromWorker.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Grpc.Core.RpcException)
        {
            logger.LogDebug(ex, "Stream of worker {WorkerId} ended", WorkerId);
        }
        finally
        {
            outbound.Writer.TryComplete();
            await stop.CancelAsync();
            await writing;
            FailPending();
            completion.TrySetResult();
        }
    }

    /// <summary>Sends a request and waits for the worker's answer with the same request id.</summary>
    public Task<StreamingMessage> RequestAsync(StreamingMessage request, CancellationToken cancellationToken)
    {
        request.RequestId = Guid.NewGuid().ToString();
        return SendAndWaitAsync(request.RequestId, request, cancellationToken);
    }

    /// <summary>Sends an invocation and waits for the worker's InvocationResponse.</summary>
    public async Task<InvocationResponse> InvokeAsync(InvocationRequest invocation, CancellationToken cancellationToken)
    {
        var request = new StreamingMessage { RequestId = Guid.NewGuid().ToString(), InvocationRequest = invocation };

        // A caller that stops waiting cancels the invocation too, as the Functions host does: the function's token fires.
        using var cancel = cancellationToken.Register(() => Post(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocation.InvocationId } }));
        var response = await SendAndWaitAsync(invocation.InvocationId, request, cancellationToken);
        return response.InvocationResponse;
    }

    /// <summary>Asks the worker to cancel an invocation (its function's token fires); the invocation still answers.</summary>
    public void Cancel(string invocationId) => Post(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });

    /// <summary>Sends a message that has no answer.</summary>
    public void Post(StreamingMessage message)
    {
        message.RequestId = Guid.NewGuid().ToString();
        outbound.Writer.TryWrite(message);
    }

    public void Close()
    {
        lock (closingSync)
        {
            if (!disposed)
            {
                closing.Cancel();
            }
        }
    }

    public void Dispose()
    {
        lock (closingSync)
        {
            disposed = true;
            closing.Dispose();
        }
    }

    private async Task<StreamingMessage> SendAndWaitAsync(string correlationId, StreamingMessage request, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[correlationId] = answer;
        try
        {
            if (!IsOpen || !outbound.Writer.TryWrite(request))
            {
                throw new WorkerConnectionLostException();
            }

            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            pending.TryRemove(correlationId, out _);
        }
    }

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> toWorker, CancellationToken stop)
    {
        try
        {
            await foreach (var message in outbound.Reader.ReadAllAsync(stop))
            {
                await toWorker.WriteAsync(message, stop);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            logger.LogDebug(ex, "Stopped writing to worker {WorkerId}", WorkerId);
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                logRelay.Write(message.RpcLog);
                if (message.RpcLog.InvocationId.Length > 0 && captured.TryGetValue(message.RpcLog.InvocationId, out var lines))
                {
                    lines.Enqueue(message.RpcLog.Message);
                }

                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete(message.InvocationResponse.InvocationId, message);
                break;
            case StreamingMessage.ContentOneofCase.None:
                logger.LogDebug("Worker {WorkerId} sent a message this host does not use", WorkerId);
                break;
            default:
                Complete(message.RequestId, message);
                break;
        }
    }

    private void Complete(string correlationId, StreamingMessage message)
    {
        if (pending.TryGetValue(correlationId, out var answer))
        {
            answer.TrySetResult(message);
        }
        else
        {
            logger.LogDebug("Worker {WorkerId} sent {MessageType} that nothing waits for", WorkerId, message.ContentCase);
        }
    }

    private void FailPending()
    {
        foreach (var answer in pending.Values)
        {
            answer.TrySetException(new WorkerConnectionLostException());
        }
    }
}
