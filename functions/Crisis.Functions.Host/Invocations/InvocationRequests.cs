using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Crisis.Functions.Host.Protocol;
using Microsoft.AspNetCore.Http;

namespace Crisis.Functions.Host.Invocations;

/// <summary>Builds InvocationRequests the way the Functions host fills them for the .NET isolated worker.</summary>
internal static class InvocationRequests
{
    /// <summary>
    /// An HTTP invocation through the ASP.NET Core integration: the request itself is forwarded to the worker, so
    /// the trigger input is an empty RpcHttp; route values, query and headers go in the trigger metadata, where the
    /// worker binds function parameters from.
    /// </summary>
    public static InvocationRequest ForHttp(HostedFunction function, string invocationId, HttpRequest request)
    {
        var invocation = Create(function, invocationId, new TypedData { Http = new RpcHttp() });

        foreach (var (name, value) in request.RouteValues)
        {
            if (value is not null)
            {
                invocation.TriggerMetadata[name] = new TypedData { String = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty };
            }
        }

        invocation.TriggerMetadata["Query"] = new TypedData
        {
            Json = JsonSerializer.Serialize(request.Query.ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.Ordinal)),
        };
        invocation.TriggerMetadata["Headers"] = new TypedData
        {
            Json = JsonSerializer.Serialize(request.Headers.ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.OrdinalIgnoreCase)),
        };
        return invocation;
    }

    /// <summary>A timer invocation: the TimerInfo JSON is the trigger input.</summary>
    public static InvocationRequest ForTimer(HostedFunction function, string invocationId, string timerInfoJson) =>
        Create(function, invocationId, new TypedData { Json = timerInfoJson });

    private static InvocationRequest Create(HostedFunction function, string invocationId, TypedData trigger)
    {
        var invocation = new InvocationRequest
        {
            InvocationId = invocationId,
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext { TraceParent = TraceParent() },
        };
        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerBindingName, Data = trigger });
        return invocation;
    }

    // The worker reads the trace context of every invocation; without an ambient activity it starts a new trace.
    private static string TraceParent()
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id })
        {
            return id;
        }

        return $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00";
    }
}
