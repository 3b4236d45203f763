using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Azure;
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
            await StorageErrors.Translate($"Create table {table.Name}", () => table.CreateIfNotExistsAsync(cancellationToken), cancellationToken);
            return table;
        });

    /// <summary>The table of <paramref name="logicalName"/> if it exists, without creating it (a table the app no longer writes, moved elsewhere).</summary>
    public async Task<TableClient?> ExistingTableAsync(string logicalName, CancellationToken cancellationToken = default)
    {
        var name = TableName(logicalName);
        var found = await StorageErrors.Translate($"Look for table {name}", async () =>
        {
            await foreach (var item in TableService.QueryAsync(t => t.Name == name, 1, cancellationToken))
            {
                return item.Name == name;
            }

            return false;
        }, cancellationToken);
        return found ? TableService.GetTableClient(name) : null;
    }

    /// <summary>Deletes the table of <paramref name="logicalName"/> and all it holds; nothing when there is none.</summary>
    public async Task DeleteTableAsync(string logicalName, CancellationToken cancellationToken = default)
    {
        var name = TableName(logicalName);
        _tables.TryRemove(logicalName, out _);
        await StorageErrors.Translate($"Delete table {name}", () => TableService.DeleteTableAsync(name, cancellationToken), cancellationToken);
    }

    public Task<BlobContainerClient> ContainerAsync(string logicalName, CancellationToken cancellationToken = default) =>
        Provisioned(_containers, logicalName, async () =>
        {
            var container = BlobService.GetBlobContainerClient(ContainerName(logicalName));
            await StorageErrors.Translate($"Create container {container.Name}", () => container.CreateIfNotExistsAsync(cancellationToken: cancellationToken), cancellationToken);
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
    /// <summary>
    /// The official Table and Blob service clients, registered once through <c>AddAzureClients</c>: from the
    /// connection string (Azurite, development, a key) when one is set, else from the service URIs with a managed
    /// identity (the user-assigned one named by ClientId, else the ambient credential chain). Retries and timeouts are
    /// the SDK's own, set here; pipeline policies registered in the container (e.g. a benchmark's request counter)
    /// are added to both clients.
    /// </summary>
    public static IServiceCollection AddCrisisStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.HasConnectionString || o.HasIdentityEndpoints,
                "Storage is not configured: set Storage:ConnectionString, or Storage:BlobServiceUri and Storage:TableServiceUri (with Storage:ClientId for a user-assigned identity).")
            .Validate(o => o.HasConnectionString || !o.HasIdentityEndpoints || (o.BlobServiceUri!.Scheme == Uri.UriSchemeHttps && o.TableServiceUri!.Scheme == Uri.UriSchemeHttps),
                "Storage:BlobServiceUri and Storage:TableServiceUri must use https when storage is reached with an identity.")
            .ValidateOnStart();
        services.AddAzureClients(clients =>
        {
            clients.UseCredential(sp => Credential(Options(sp)));
            clients.AddClient<TableServiceClient, TableClientOptions>((clientOptions, credential, sp) =>
                Options(sp) is { HasConnectionString: true } o
                    ? new TableServiceClient(o.ConnectionString, clientOptions)
                    : new TableServiceClient(Options(sp).TableServiceUri, credential, clientOptions));
            clients.AddClient<BlobServiceClient, BlobClientOptions>((clientOptions, credential, sp) =>
                Options(sp) is { HasConnectionString: true } o
                    ? new BlobServiceClient(o.ConnectionString, clientOptions)
                    : new BlobServiceClient(Options(sp).BlobServiceUri, credential, clientOptions));
            clients.ConfigureDefaults((clientOptions, sp) =>
            {
                clientOptions.Retry.Mode = RetryMode.Exponential;
                clientOptions.Retry.MaxRetries = 4;
                clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
                clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(8);
                clientOptions.Retry.NetworkTimeout = Options(sp).NetworkTimeout;
                foreach (var policy in sp.GetServices<HttpPipelinePolicy>())
                {
                    clientOptions.AddPolicy(policy, HttpPipelinePosition.PerCall);
                }
            });
        });
        services.AddSingleton<CrisisStorage>();
        return services;
    }

    private static StorageOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<StorageOptions>>().Value;

    private static TokenCredential Credential(StorageOptions options) =>
        string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
}
