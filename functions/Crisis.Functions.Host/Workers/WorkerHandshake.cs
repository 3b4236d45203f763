using System.Reflection;
using Crisis.Functions.Host.Catalog;
using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Protocol;
using Crisis.Functions.Host.Rpc;
using Microsoft.Extensions.Logging;

namespace Crisis.Functions.Host.Workers;

/// <summary>Brings a freshly connected worker to readiness: WorkerInitRequest, FunctionsMetadataRequest, a FunctionLoadRequest per function.</summary>
internal sealed class WorkerHandshake(string appDirectory, FunctionCatalog catalog, Uri? httpUriOverride, ILogger logger)
{
    private const string HttpUriCapability = "HttpUri";

    private static readonly string HostVersion =
        typeof(WorkerHandshake).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1.0.0";

    public async Task<WorkerSession> RunAsync(WorkerChannel channel, Action<StartupStage> advance, CancellationToken cancellationToken)
    {
        advance(StartupStage.Init);
        var init = await InitializeAsync(channel, cancellationToken);

        advance(StartupStage.Metadata);
        var registrations = catalog.Build(await IndexAsync(channel, cancellationToken));

        advance(StartupStage.Load);
        await Task.WhenAll(registrations.Select(registration => LoadAsync(channel, registration, cancellationToken)));

        var httpUri = httpUriOverride ?? HttpUri(init, registrations);
        if (httpUri is not null)
        {
            advance(StartupStage.HttpEndpoint);
            logger.LogDebug("Waiting for worker {WorkerId} to accept connections at {HttpUri}", channel.WorkerId, httpUri);
            await WorkerHttpEndpoint.WaitUntilListeningAsync(httpUri, cancellationToken);
        }

        logger.LogInformation("Worker {WorkerId} is ready: {FunctionCount} functions loaded", channel.WorkerId, registrations.Count);
        return new WorkerSession(channel, httpUri, registrations);
    }

    private async Task<WorkerInitResponse> InitializeAsync(WorkerChannel channel, CancellationToken cancellationToken)
    {
        var request = new WorkerInitRequest
        {
            HostVersion = HostVersion,
            WorkerDirectory = appDirectory,
            FunctionAppDirectory = appDirectory,
        };
        var response = (await channel.RequestAsync(new StreamingMessage { WorkerInitRequest = request }, cancellationToken)).WorkerInitResponse;
        ThrowIfFailed(response.Result, "The worker failed to initialize");
        logger.LogDebug("Worker {WorkerId} initialized: version {WorkerVersion}, capabilities {Capabilities}", channel.WorkerId, response.WorkerVersion, response.Capabilities);
        return response;
    }

    private async Task<IReadOnlyList<RpcFunctionMetadata>> IndexAsync(WorkerChannel channel, CancellationToken cancellationToken)
    {
        var request = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory };
        var response = (await channel.RequestAsync(new StreamingMessage { FunctionsMetadataRequest = request }, cancellationToken)).FunctionMetadataResponse;
        ThrowIfFailed(response.Result, "The worker failed to index its functions");

        if (response.UseDefaultMetadataIndexing || response.FunctionMetadataResults.Count == 0)
        {
            logger.LogInformation("The worker left indexing to the host: reading {MetadataFile}", FunctionsMetadataFile.FileName);
            return FunctionsMetadataFile.Read(appDirectory);
        }

        foreach (var function in response.FunctionMetadataResults.Where(function => function.Status is not null))
        {
            ThrowIfFailed(function.Status, $"The worker failed to index function '{function.Name}'");
        }

        return response.FunctionMetadataResults;
    }

    private static async Task LoadAsync(WorkerChannel channel, FunctionRegistration registration, CancellationToken cancellationToken)
    {
        var response = (await channel.RequestAsync(new StreamingMessage { FunctionLoadRequest = registration.ToLoadRequest() }, cancellationToken)).FunctionLoadResponse;
        ThrowIfFailed(response.Result, $"The worker failed to load function '{registration.Function.Name}'");
    }

    private static Uri? HttpUri(WorkerInitResponse init, IReadOnlyList<FunctionRegistration> registrations)
    {
        if (init.Capabilities.TryGetValue(HttpUriCapability, out var value) && Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        return registrations.Any(registration => registration.Function.TriggerKind == FunctionTriggerKind.Http)
            ? throw new LocalHostException(
                "The worker has HTTP functions but reported no HttpUri capability. This host serves HTTP functions through the ASP.NET Core integration only: use ConfigureFunctionsWebApplication() with Microsoft.Azure.Functions.Worker.Extensions.Http.AspNetCore.")
            : null;
    }

    private static void ThrowIfFailed(StatusResult? result, string what)
    {
        if (result is null || result.Status == StatusResult.Types.Status.Success)
        {
            return;
        }

        var detail = result.Exception?.Message is { Length: > 0 } message ? message : result.Result;
        throw new LocalHostException(
            $"{what}: {(string.IsNullOrEmpty(detail) ? result.Status.ToString() : detail)}",
            WorkerReportedException.From(result.Exception) ?? new WorkerReportedException(detail ?? string.Empty));
    }
}
