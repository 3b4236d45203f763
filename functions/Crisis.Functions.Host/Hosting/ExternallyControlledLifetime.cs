using Microsoft.Extensions.Hosting;

namespace Crisis.Functions.Host.Hosting;

/// <summary>Keeps the host's internal web servers from reacting to Ctrl-C themselves: the owner stops them in order.</summary>
internal sealed class ExternallyControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
