using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Tables;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class RetryTests
{
    private static TableClient Table(ScriptedTransport transport)
    {
        var options = new StorageClientOptions { Transport = transport };
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(5);
        return new TableServiceClient(new StoragePipeline(StorageAccount.FromConnectionString("UseDevelopmentStorage=true"), StorageService.Table, options, TimeProvider.System))
            .GetTableClient("crises");
    }

    [Fact]
    public async Task Transient_server_errors_and_throttling_are_retried_until_the_service_answers()
    {
        var transport = new ScriptedTransport(503, 500, 429, 404);

        Assert.Null(await Table(transport).GetEntityIfExistsAsync("p", "r"));

        Assert.Equal(4, transport.Requests.Count);
        Assert.All(transport.Requests, r => Assert.StartsWith("SharedKey devstoreaccount1:", r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_retries_surfaces_as_a_typed_error()
    {
        var transport = new ScriptedTransport(503);

        var error = await Assert.ThrowsAsync<StorageThrottledException>(() => Table(transport).GetEntityIfExistsAsync("p", "r"));

        Assert.Equal(503, error.Status);
        Assert.Equal(1 + new StorageClientOptions().Retry.MaxRetries, transport.Requests.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        var transport = new ScriptedTransport(400);

        var error = await Assert.ThrowsAsync<StorageRequestException>(() => Table(transport).GetEntityIfExistsAsync("p", "r"));

        Assert.Equal(400, error.Status);
        Assert.Single(transport.Requests);
    }
}
