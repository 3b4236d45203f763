using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Crisis.Functions.Storage.Blobs;
using Crisis.Functions.Storage.Tables;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Storage;

/// <summary>
/// The app's tables and containers, named with the configured prefix and created on first use (once per
/// process; a failed creation is retried by the next caller). Features ask for them by logical name.
/// </summary>
public sealed class CrisisStorage
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new(StringComparer.Ordinal);
    private readonly string _prefix;

    public CrisisStorage(TableServiceClient tables, BlobServiceClient blobs, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TableService = tables;
        BlobService = blobs;
        _prefix = options.Value.NamePrefix;
    }

    public TableServiceClient TableService { get; }

    public BlobServiceClient BlobService { get; }

    public string TableName(string logicalName) => _prefix + logicalName;

    public string ContainerName(string logicalName) => _prefix + logicalName;

    public Task<TableClient> TableAsync(string logicalName, CancellationToken cancellationToken = default) =>
        Provisioned(_tables, logicalName, async () =>
        {
            var table = TableService.GetTableClient(TableName(logicalName));
            await table.CreateIfNotExistsAsync(cancellationToken);
            return table;
        });

    public Task<BlobContainerClient> ContainerAsync(string logicalName, CancellationToken cancellationToken = default) =>
        Provisioned(_containers, logicalName, async () =>
        {
            var container = BlobService.GetBlobContainerClient(ContainerName(logicalName));
            await container.CreateIfNotExistsAsync(cancellationToken);
            return container;
        });

    private static async Task<T> Provisioned<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string name, Func<Task<T>> create)
    {
        var lazy = cache.GetOrAdd(name, _ => new Lazy<Task<T>>(create));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(name, lazy));
            throw;
        }
    }
}

public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddCrisisStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.HasConnectionString || o.HasIdentityEndpoints,
                "Storage is not configured: set Storage:ConnectionString, or Storage:BlobServiceUri and Storage:TableServiceUri (with Storage:ClientId for a user-assigned identity).")
            .ValidateOnStart();
        services.AddSingleton(sp => CreateAccount(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton(sp => new TableServiceClient(CreatePipeline(sp, StorageService.Table)));
        services.AddSingleton(sp => new BlobServiceClient(CreatePipeline(sp, StorageService.Blob)));
        services.AddSingleton<CrisisStorage>();
        return services;
    }

    /// <summary>
    /// A connection string wins (Azurite, shared key); otherwise the endpoints are reached with a managed
    /// identity: the user-assigned one named by ClientId, else the ambient credential chain.
    /// </summary>
    public static StorageAccount CreateAccount(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HasConnectionString)
        {
            return StorageAccount.FromConnectionString(options.ConnectionString!);
        }

        if (!options.HasIdentityEndpoints)
        {
            throw new InvalidOperationException("Storage is not configured.");
        }

        TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
        return StorageAccount.FromTokenCredential(options.BlobServiceUri!, options.TableServiceUri!, credential);
    }

    private static StoragePipeline CreatePipeline(IServiceProvider services, StorageService service)
    {
        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var clientOptions = new StorageClientOptions();
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;

        // Policies registered by the host (metering, e.g. the benchmarks' request counter) see every request once.
        foreach (var policy in services.GetServices<HttpPipelinePolicy>())
        {
            clientOptions.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }

        return new StoragePipeline(services.GetRequiredService<StorageAccount>(), service, clientOptions, services.GetRequiredService<TimeProvider>());
    }
}
