using System.Diagnostics;
using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Tests.Storage;

public class StorageRegistrationTests
{
    [Fact]
    public async Task A_connection_string_gives_both_clients_the_emulator_account_and_endpoints()
    {
        var azurite = await TestAzurite.GetAsync();
        await using var services = TestStorage.Services(new Dictionary<string, string?> { ["Storage:ConnectionString"] = azurite.ConnectionString });

        var tables = services.GetRequiredService<TableServiceClient>();
        var blobs = services.GetRequiredService<BlobServiceClient>();

        Assert.Equal("devstoreaccount1", tables.AccountName);
        Assert.Equal("devstoreaccount1", blobs.AccountName);
        Assert.Equal(azurite.BlobPort, blobs.Uri.Port);
        Assert.Same(tables, services.GetRequiredService<CrisisStorage>().TableService);
    }

    [Fact]
    public async Task Service_uris_without_a_connection_string_reach_the_configured_account_with_an_identity()
    {
        await using var services = TestStorage.Services(new Dictionary<string, string?>
        {
            ["Storage:BlobServiceUri"] = "https://crisisdata.blob.core.windows.net",
            ["Storage:TableServiceUri"] = "https://crisisdata.table.core.windows.net",
            ["Storage:ClientId"] = "00000000-0000-0000-0000-000000000001",
        });

        var tables = services.GetRequiredService<TableServiceClient>();
        var blobs = services.GetRequiredService<BlobServiceClient>();

        Assert.Equal("crisisdata.table.core.windows.net", tables.Uri.Host);
        Assert.Equal("crisisdata.blob.core.windows.net", blobs.Uri.Host);
        Assert.False(blobs.CanGenerateAccountSasUri, "an identity-based client holds no account key");
    }

    [Theory]
    [InlineData(null, null, "Storage is not configured")]
    [InlineData("http://crisisdata.blob.core.windows.net", "http://crisisdata.table.core.windows.net", "must use https")]
    public void Storage_settings_that_cannot_work_fail_start_up_with_a_clear_message(string? blobUri, string? tableUri, string message)
    {
        using var services = TestStorage.Services(new Dictionary<string, string?> { ["Storage:BlobServiceUri"] = blobUri, ["Storage:TableServiceUri"] = tableUri });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_that_does_not_answer_is_unavailable_after_the_clients_retries()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var azurite = await TestAzurite.GetAsync();
        var unreachable = azurite.ConnectionString
            .Replace($":{azurite.TablePort}/", $":{port}/", StringComparison.Ordinal)
            .Replace($":{azurite.BlobPort}/", $":{port}/", StringComparison.Ordinal);
        await using var services = TestStorage.Services(new Dictionary<string, string?> { ["Storage:ConnectionString"] = unreachable });
        var storage = services.GetRequiredService<CrisisStorage>();
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.TableAsync("crises"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.ContainerAsync("pages"));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
    }
}
