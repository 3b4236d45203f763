using System.Text;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Hostile;

/// <summary>
/// Every entity and blob an app instance holds, by key and ETag: any write (even one that stores the same
/// values again) changes it. Cheaper than a full <see cref="StorageDump"/>, so it can be taken after every case.
/// </summary>
public static class StorageFingerprint
{
    public static async Task<string> OfAsync(CrisisAppFactory app)
    {
        var storage = app.Services.GetRequiredService<CrisisStorage>();
        var parts = await Task.WhenAll(AppStorageNames.Tables.Select(name => TableAsync(storage, name))
            .Concat(AppStorageNames.Containers.Select(name => ContainerAsync(storage, name))));
        return string.Concat(parts);
    }

    private static async Task<string> TableAsync(CrisisStorage storage, string name)
    {
        var text = new StringBuilder(name).AppendLine();
        var table = await storage.TableAsync(name);
        await foreach (var entity in table.QueryRowsAsync())
        {
            text.Append(entity.PartitionKey).Append(' ').Append(entity.RowKey).Append(' ').AppendLine(entity.ETag.ToString());
        }

        return text.ToString();
    }

    private static async Task<string> ContainerAsync(CrisisStorage storage, string name)
    {
        var text = new StringBuilder(name).AppendLine();
        var container = await storage.ContainerAsync(name);
        await foreach (var blob in container.ListAsync())
        {
            text.Append(blob.Name).Append(' ').AppendLine(blob.Properties.ETag?.ToString());
        }

        return text.ToString();
    }
}
