using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Crisis.Functions.Hosting;

/// <summary>
/// Drops an HTTP function's result once the ASP.NET Core integration has written it to the response. Left as the
/// invocation's result, the worker would also serialize it to JSON for the host, which reads the proxied response
/// and ignores it: on the public page that was about a third of the worker's time (a cached document, its bytes
/// and its search index serialized per request). Registered before the integration, so it runs around it.
/// </summary>
public sealed class ExecutedResultMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next(context);
        if (context.GetHttpContext() is not null && context.GetInvocationResult() is { Value: IResult or IActionResult } result)
        {
            result.Value = null;
        }
    }
}
