using Crisis.Functions.Host.Protocol;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Rpc;

/// <summary>The host side of FunctionRpc: accepts the worker's EventStream once it has identified itself with StartStream.</summary>
internal sealed class FunctionRpcService(string expectedWorkerId, Action<WorkerChannel> onConnected, WorkerLogRelay logRelay, ILogger logger)
    : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        var first = requestStream.Current;
        if (first.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            logger.LogWarning("A worker opened a stream with {MessageType} instead of StartStream; closing it", first.ContentCase);
            return;
        }

        var workerId = first.StartStream.WorkerId;
        if (!string.Equals(workerId, expectedWorkerId, StringComparison.Ordinal))
        {
            logger.LogWarning("Refused a stream from unknown worker {WorkerId}", workerId);
            throw new Grpc.Core.RpcException(new Status(StatusCode.PermissionDenied, "Unknown worker id."));
        }

        logger.LogDebug("Worker {WorkerId} connected", workerId);
        using var channel = new WorkerChannel(workerId, logRelay, logger);
        var running = channel.RunAsync(requestStream, responseStream, context.CancellationToken);
        onConnected(channel);
        await running;
        logger.LogDebug("Worker {WorkerId} disconnected", workerId);
    }
}
