using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Blobs;
using Crisis.Functions.Storage.Tables;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Our storage clients against the shared test Azurite, with fresh table and container names.</summary>
public static class TestStorage
{
    public static StoragePipeline Pipeline(string connectionString, StorageService service) =>
        new(StorageAccount.FromConnectionString(connectionString), service, new StorageClientOptions(), TimeProvider.System);

    public static async Task<TableClient> NewTableAsync()
    {
        var azurite = await TestAzurite.GetAsync();
        var table = new TableServiceClient(Pipeline(azurite.ConnectionString, StorageService.Table)).GetTableClient(TestAzurite.NewPrefix() + "tbl");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<BlobContainerClient> NewContainerAsync()
    {
        var azurite = await TestAzurite.GetAsync();
        var container = new BlobServiceClient(Pipeline(azurite.ConnectionString, StorageService.Blob)).GetBlobContainerClient(TestAzurite.NewPrefix() + "-c");
        await container.CreateIfNotExistsAsync();
        return container;
    }
}
