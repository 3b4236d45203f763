using Crisis.Functions.Host.Catalog;
using Crisis.Functions.Host.Rpc;

namespace Crisis.Functions.Host.Workers;

/// <summary>A worker that is connected, initialized and has every function loaded.</summary>
internal sealed class WorkerSession(WorkerChannel channel, Uri? httpUri, IReadOnlyList<FunctionRegistration> registrations)
{
    public WorkerChannel Channel { get; } = channel;

    /// <summary>The worker's own ASP.NET Core endpoint that HTTP requests are forwarded to.</summary>
    public Uri? HttpUri { get; } = httpUri;

    public IReadOnlyList<HostedFunction> Functions { get; } = [.. registrations.Select(registration => registration.Function)];

    public HostedFunction? Find(string functionName) =>
        Functions.FirstOrDefault(function => string.Equals(function.Name, functionName, StringComparison.OrdinalIgnoreCase));
}
