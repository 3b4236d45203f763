using System.Net;
using Crisis.Functions.Host.Invocations;
using Crisis.Functions.Host.Protocol;
using Crisis.Functions.Host.Rpc;
using Crisis.Functions.Host.Workers;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Crisis.Functions.Host.Http;

/// <summary>
/// Runs an HTTP function as the Functions host does with the ASP.NET Core integration: an InvocationRequest on the
/// stream and, at the same time, the original request forwarded to the worker's own HTTP endpoint with the
/// invocation id in a header. The worker pairs the two and writes its response on the forwarded request.
/// </summary>
internal sealed class HttpFunctionInvoker : IDisposable
{
    private const string InvocationIdHeader = "x-ms-invocation-id";

    // How long the InvocationResponse may lag behind the forwarded call; the worker gives up pairing the two after 20 s.
    private static readonly TimeSpan ResponseGrace = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan ForwardingFailureGrace = TimeSpan.FromSeconds(2);

    private readonly ReadinessGate gate;
    private readonly TimeSpan readyTimeout;
    private readonly IHttpForwarder forwarder;
    private readonly HttpMessageInvoker toWorker;
    private readonly ForwarderRequestConfig forwarding = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };
    private readonly ILogger logger;

    public HttpFunctionInvoker(ReadinessGate gate, TimeSpan readyTimeout, IHttpForwarder forwarder, ILogger logger)
    {
        this.gate = gate;
        this.readyTimeout = readyTimeout;
        this.forwarder = forwarder;
        this.logger = logger;
        toWorker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
    }

    public async Task InvokeAsync(HttpContext context)
    {
        // The worker's responses, error statuses included, go back exactly as the worker wrote them.
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }

        var declared = context.GetEndpoint()?.Metadata.GetMetadata<HostedFunction>()
            ?? throw new InvalidOperationException("The endpoint does not belong to a function.");

        WorkerSession session;
        try
        {
            session = await gate.WaitAsync(readyTimeout, context.RequestAborted);
        }
        catch (LocalHostException ex)
        {
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "The worker is not ready", ex.Message);
            return;
        }

        var function = session.Find(declared.Name);
        if (function is null || session.HttpUri is null)
        {
            await Problem(context, StatusCodes.Status404NotFound, "Function not found", $"The worker no longer has function '{declared.Name}'.");
            return;
        }

        await InvokeAsync(context, session.Channel, session.HttpUri, function);
    }

    public void Dispose() => toWorker.Dispose();

    private async Task InvokeAsync(HttpContext context, WorkerChannel channel, Uri workerEndpoint, HostedFunction function)
    {
        var invocationId = Guid.NewGuid().ToString();
        var started = TimeProvider.System.GetTimestamp();
        logger.LogInformation("Executing {FunctionName} (invocation {InvocationId})", function.Name, invocationId);

        var outcome = OutcomeAsync(channel.InvokeAsync(InvocationRequests.ForHttp(function, invocationId, context.Request), context.RequestAborted));
        context.Request.Headers[InvocationIdHeader] = invocationId;
        var transformer = new FailedInvocationTransformer(outcome);
        var forwardError = await forwarder.SendAsync(context, workerEndpoint.ToString(), toWorker, forwarding, transformer);

        var result = forwardError == ForwarderError.None ? await outcome : await OutcomeAfterForwardingFailedAsync(context, function, outcome, forwardError);
        LogOutcome(function, invocationId, result, TimeProvider.System.GetElapsedTime(started));
        if (context.Response.HasStarted || (forwardError == ForwarderError.None && !transformer.WithheldResponse))
        {
            return;
        }

        if (forwardError == ForwarderError.RequestBodyClient)
        {
            // The client's body never arrived whole (cut short, or too slow for the minimum data rate): its fault, not the worker's.
            await Problem(context, StatusCodes.Status400BadRequest, "Incomplete request body", "The request body did not arrive whole; nothing was changed.");
            return;
        }

        var (status, title) = result.Kind switch
        {
            OutcomeKind.Failed => (StatusCodes.Status500InternalServerError, $"Function '{function.Name}' failed"),
            OutcomeKind.WorkerLost => (StatusCodes.Status503ServiceUnavailable, "The worker stopped while handling the request"),
            _ => (StatusCodes.Status502BadGateway, "The worker did not answer the request"),
        };
        await Problem(context, status, title, result.Detail);
    }

    // A request the worker never received leaves its invocation waiting in the worker: report what is known soon.
    private async Task<InvocationOutcome> OutcomeAfterForwardingFailedAsync(
        HttpContext context, HostedFunction function, Task<InvocationOutcome> outcome, ForwarderError forwardError)
    {
        var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? forwardError.ToString();
        logger.LogWarning("Forwarding {FunctionName} to the worker failed ({ForwardError}): {Reason}", function.Name, forwardError, reason);
        var failure = new InvocationOutcome(OutcomeKind.Unknown, $"Forwarding the request to the worker failed: {reason}");
        try
        {
            var result = await outcome.WaitAsync(ForwardingFailureGrace);
            return result.Kind == OutcomeKind.Succeeded ? failure : result;
        }
        catch (TimeoutException)
        {
            return failure;
        }
    }

    private static async Task<InvocationOutcome> OutcomeAsync(Task<InvocationResponse> invocation)
    {
        try
        {
            var response = await invocation.WaitAsync(ResponseGrace);
            return response.Result?.Status == StatusResult.Types.Status.Success
                ? new InvocationOutcome(OutcomeKind.Succeeded, "Succeeded")
                : new InvocationOutcome(
                    OutcomeKind.Failed,
                    response.Result?.Exception?.Message is { Length: > 0 } message ? message : $"The invocation ended with status {response.Result?.Status}.");
        }
        catch (TimeoutException)
        {
            return new InvocationOutcome(OutcomeKind.Unknown, "The worker did not report the invocation's result.");
        }
        catch (OperationCanceledException)
        {
            return new InvocationOutcome(OutcomeKind.Unknown, "The request was aborted.");
        }
        catch (WorkerConnectionLostException ex)
        {
            return new InvocationOutcome(OutcomeKind.WorkerLost, ex.Message);
        }
    }

    private void LogOutcome(HostedFunction function, string invocationId, InvocationOutcome outcome, TimeSpan duration)
    {
        if (outcome.Kind == OutcomeKind.Succeeded)
        {
            logger.LogInformation(
                "Executed {FunctionName} (Succeeded, invocation {InvocationId}, {DurationMs:0} ms)", function.Name, invocationId, duration.TotalMilliseconds);
        }
        else
        {
            logger.LogError(
                "Executed {FunctionName} (Failed, invocation {InvocationId}, {DurationMs:0} ms): {Failure}",
                function.Name,
                invocationId,
                duration.TotalMilliseconds,
                outcome.Detail);
        }
    }

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);

    private enum OutcomeKind
    {
        Succeeded,

        /// <summary>The worker reported the function failed.</summary>
        Failed,

        /// <summary>The worker's connection ended before it answered.</summary>
        WorkerLost,

        /// <summary>No answer in time, or the request never reached the worker.</summary>
        Unknown,
    }

    private sealed record InvocationOutcome(OutcomeKind Kind, string Detail);

    /// <summary>
    /// A function that throws before writing anything leaves the worker answering an empty 200. An empty answer is
    /// only sent once the function has finished, so its InvocationResponse is at hand: when that reports a failure,
    /// the empty answer is withheld and the host answers 500 instead.
    /// </summary>
    private sealed class FailedInvocationTransformer(Task<InvocationOutcome> outcome) : HttpTransformer
    {
        public bool WithheldResponse { get; private set; }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse?.Content.Headers.ContentLength == 0 && (await outcome).Kind != OutcomeKind.Succeeded)
            {
                WithheldResponse = true;
                return false;
            }

            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }
    }
}
