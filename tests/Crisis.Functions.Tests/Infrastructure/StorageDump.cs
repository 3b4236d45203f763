using System.Text;
using Crisis.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Everything an app instance stored (every entity of every table, every blob of every container), as one text to search.</summary>
public static class StorageDump
{
    private static readonly HashSet<string> SystemProperties = ["PartitionKey", "RowKey", "Timestamp", "odata.etag"];

    public static async Task<string> TextAsync(CrisisAppFactory app)
    {
        var storage = app.Services.GetRequiredService<CrisisStorage>();
        var text = new StringBuilder();
        foreach (var name in AppStorageNames.Tables)
        {
            var table = await storage.TableAsync(name);
            await foreach (var entity in table.QueryRowsAsync())
            {
                text.Append(entity.PartitionKey).Append(' ').Append(entity.RowKey).Append(' ');
                foreach (var (key, value) in entity.Where(p => !SystemProperties.Contains(p.Key)))
                {
                    text.Append(key).Append('=').Append(value).Append(' ');
                }

                text.AppendLine();
            }
        }

        foreach (var name in AppStorageNames.Containers)
        {
            var container = await storage.ContainerAsync(name);
            await foreach (var blob in container.ListAsync())
            {
                text.AppendLine(blob.Name).AppendLine((await container.GetBlobClient(blob.Name).ReadAsync()).Content.ToString());
            }
        }

        return text.ToString();
    }
}
