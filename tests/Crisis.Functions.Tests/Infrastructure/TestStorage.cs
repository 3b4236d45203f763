using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Crisis.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>The official storage clients against the shared test Azurite, with fresh table and container names.</summary>
public static class TestStorage
{
    public static async Task<TableClient> NewTableAsync()
    {
        var azurite = await TestAzurite.GetAsync();
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(TestAzurite.NewPrefix() + "tbl");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<BlobContainerClient> NewContainerAsync()
    {
        var azurite = await TestAzurite.GetAsync();
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(TestAzurite.NewPrefix() + "-c");
        await container.CreateIfNotExistsAsync();
        return container;
    }

    /// <summary>The app's storage registration alone (no web host), with <paramref name="settings"/> as its configuration.</summary>
    public static ServiceProvider Services(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddCrisisStorage();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>The app's storage registration against the shared test Azurite, under a fresh name prefix.</summary>
    public static async Task<ServiceProvider> ServicesAsync(Action<IServiceCollection>? configure = null) =>
        Services(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = (await TestAzurite.GetAsync()).ConnectionString,
            ["Storage:NamePrefix"] = TestAzurite.NewPrefix(),
        }, configure);
}
