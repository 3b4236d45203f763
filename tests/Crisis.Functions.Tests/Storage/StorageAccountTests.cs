using Azure.Core;
using Azure.Identity;
using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Tables;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class StorageAccountTests
{
    [Fact]
    public void Development_storage_points_at_the_emulator_ports()
    {
        var account = StorageAccount.FromConnectionString("UseDevelopmentStorage=true");
        Assert.Equal("devstoreaccount1", account.Name);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), account.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), account.TableEndpoint);
        Assert.True(account.UsesSharedKey);
    }

    [Fact]
    public void Account_name_and_suffix_make_the_public_endpoints()
    {
        var account = StorageAccount.FromConnectionString("DefaultEndpointsProtocol=https;AccountName=crisisprod;AccountKey=a2V5;EndpointSuffix=core.windows.net");
        Assert.Equal(new Uri("https://crisisprod.blob.core.windows.net"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://crisisprod.table.core.windows.net"), account.TableEndpoint);
    }

    [Theory]
    [InlineData("AccountKey=a2V5")]
    [InlineData("AccountName=x")]
    [InlineData("AccountName=x;AccountKey=not base64!")]
    [InlineData("AccountName=x;AccountKey=a2V5;BlobEndpoint=ftp://x")]
    [InlineData("garbage")]
    public void Incomplete_or_malformed_connection_strings_are_refused(string connectionString)
    {
        Assert.Throws<FormatException>(() => StorageAccount.FromConnectionString(connectionString));
    }

    [Fact]
    public void Endpoints_with_a_client_id_use_that_user_assigned_managed_identity()
    {
        var account = StorageServiceCollectionExtensions.CreateAccount(new StorageOptions
        {
            BlobServiceUri = new Uri("https://crisisprod.blob.core.windows.net"),
            TableServiceUri = new Uri("https://crisisprod.table.core.windows.net"),
            ClientId = "00000000-0000-0000-0000-000000000001",
        });

        Assert.False(account.UsesSharedKey);
        Assert.IsType<ManagedIdentityCredential>(account.Credential);
        Assert.Equal("crisisprod", account.Name);
    }

    [Fact]
    public void Endpoints_without_a_client_id_use_the_ambient_credential_chain()
    {
        var account = StorageServiceCollectionExtensions.CreateAccount(new StorageOptions
        {
            BlobServiceUri = new Uri("https://crisisprod.blob.core.windows.net"),
            TableServiceUri = new Uri("https://crisisprod.table.core.windows.net"),
        });

        Assert.IsType<DefaultAzureCredential>(account.Credential);
    }

    [Fact]
    public void A_connection_string_wins_over_endpoints()
    {
        var account = StorageServiceCollectionExtensions.CreateAccount(new StorageOptions
        {
            ConnectionString = "UseDevelopmentStorage=true",
            BlobServiceUri = new Uri("https://crisisprod.blob.core.windows.net"),
            TableServiceUri = new Uri("https://crisisprod.table.core.windows.net"),
        });

        Assert.True(account.UsesSharedKey);
        Assert.Null(account.Credential);
    }

    [Fact]
    public void Token_credentials_are_only_sent_over_https()
    {
        Assert.Throws<ArgumentException>(() => StorageAccount.FromTokenCredential(
            new Uri("http://crisisprod.blob.core.windows.net"), new Uri("https://crisisprod.table.core.windows.net"), new RecordingCredential()));
    }

    [Fact]
    public async Task Token_auth_sends_a_bearer_token_for_the_storage_scope_and_no_shared_key()
    {
        var credential = new RecordingCredential();
        var transport = new ScriptedTransport(404);
        var account = StorageAccount.FromTokenCredential(
            new Uri("https://crisisprod.blob.core.windows.net"), new Uri("https://crisisprod.table.core.windows.net"), credential);
        var options = new StorageClientOptions { Transport = transport };
        var table = new TableServiceClient(new StoragePipeline(account, StorageService.Table, options, TimeProvider.System)).GetTableClient("crises");

        await table.GetEntityIfExistsAsync("p", "r");

        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes);
        var request = Assert.Single(transport.Requests);
        Assert.Equal("Bearer test-token", request.Authorization);
        Assert.DoesNotContain("SharedKey", request.Authorization, StringComparison.Ordinal);
        Assert.StartsWith("https://crisisprod.table.core.windows.net/crises(PartitionKey='p',RowKey='r')", request.Uri, StringComparison.Ordinal);
    }

    private sealed class RecordingCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken("test-token", DateTimeOffset.MaxValue);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
