using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Infra;

/// <summary>The Bicep templates, checked as text (they are not compiled in CI; see the README).</summary>
public class InfraTests
{
    private static readonly string Root = Path.Combine(RepositoryPaths.Root, "infra-bicep");

    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Root, "*.bicep", SearchOption.AllDirectories))
        {
            data.Add(Path.GetRelativePath(Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Every_file_has_balanced_brackets_and_uses_every_parameter_it_declares(string file)
    {
        var bicep = new BicepFile(Path.Combine(Root, file));
        Assert.True(BicepFile.IsBalanced(bicep.Code), $"{file} has unbalanced brackets");
        foreach (var parameter in bicep.Parameters().Keys)
        {
            Assert.True(bicep.Occurrences(parameter) > 1, $"{file} declares parameter '{parameter}' but never uses it");
        }
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Every_module_exists_and_gets_exactly_the_parameters_it_declares(string file)
    {
        var bicep = new BicepFile(Path.Combine(Root, file));
        foreach (var (symbol, source, body) in bicep.Modules())
        {
            var modulePath = Path.Combine(Path.GetDirectoryName(bicep.Path)!, source);
            Assert.True(File.Exists(modulePath), $"module {symbol} points at missing {source}");
            var declared = new BicepFile(modulePath).Parameters();
            var given = BicepFile.ModuleArguments(body);
            Assert.All(given, name => Assert.True(declared.ContainsKey(name), $"module {symbol} passes '{name}', which {source} does not declare"));
            Assert.All(declared.Where(p => !p.Value), p => Assert.True(given.Contains(p.Key), $"module {symbol} misses required parameter '{p.Key}' of {source}"));
        }
    }

    [Fact]
    public void The_parameters_file_sets_only_declared_parameters_and_every_required_one_but_the_secret()
    {
        var declared = new BicepFile(Path.Combine(Root, "main.bicep")).Parameters();
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "main.parameters.json")));
        var given = file.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();

        Assert.All(given, name => Assert.True(declared.ContainsKey(name), $"main.parameters.json sets undeclared '{name}'"));
        string[] secrets = ["adminKeySha256", "webhookSigningSecret", "tokenSigningKey", "contactHashKey"];
        var required = declared.Where(p => !p.Value).Select(p => p.Key).Except(secrets);
        Assert.All(required, name => Assert.Contains(name, given));
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, given));
    }

    [Fact]
    public void Storage_allows_no_shared_keys_no_public_blobs_and_tls_12_only()
    {
        var storage = File.ReadAllText(Path.Combine(Root, "modules", "storage.bicep"));
        Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
        Assert.Contains("allowBlobPublicAccess: false", storage, StringComparison.Ordinal);
        Assert.Contains("minimumTlsVersion: 'TLS1_2'", storage, StringComparison.Ordinal);
        Assert.Contains("publicAccess: 'None'", storage, StringComparison.Ordinal);
    }

    [Fact]
    public void No_template_reads_or_hands_out_account_keys()
    {
        foreach (var file in Directory.GetFiles(Root, "*.bicep", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("listKeys(", text, StringComparison.Ordinal);
            Assert.DoesNotContain("AccountKey=", text, StringComparison.Ordinal);
            Assert.DoesNotContain("ConnectionString=DefaultEndpointsProtocol", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_app_reaches_storage_key_vault_and_telemetry_with_its_user_assigned_identity()
    {
        var app = File.ReadAllText(Path.Combine(Root, "modules", "functionapp.bicep"));
        foreach (var setting in new[]
        {
            "AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage__clientId:", "AzureWebJobsStorage__blobServiceUri:",
            "Storage__BlobServiceUri:", "Storage__TableServiceUri:", "Storage__ClientId:", "Authorization=AAD", "keyVaultReferenceIdentity: identityId",
            "type: 'UserAssignedIdentity'", "name: 'dotnet-isolated'", "version: '10.0'", "HEARTBEAT_SCHEDULE:", "REMINDER_SCHEDULE:", "PublicPages__BaseUrl:", "@Microsoft.KeyVault(",
            "Webhooks__SigningSecret:", "Tokens__SigningKeys__0__Secret:", "EXPIRY_SCHEDULE:", "NOTIFICATIONS_SCHEDULE:", "Subscriptions__ContactHashKey:", "RateLimits__TrustedForwarders: '1'",
        })
        {
            Assert.Contains(setting, app, StringComparison.Ordinal);
        }

        var monitoring = File.ReadAllText(Path.Combine(Root, "modules", "monitoring.bicep"));
        Assert.Contains("DisableLocalAuth: true", monitoring, StringComparison.Ordinal);
        Assert.Contains("enableRbacAuthorization: true", File.ReadAllText(Path.Combine(Root, "modules", "keyvault.bicep")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_role_assignment_is_in_rbac_bicep_and_named_by_scope_principal_and_role()
    {
        var rbac = File.ReadAllText(Path.Combine(Root, "modules", "rbac.bicep"));
        var assignments = System.Text.RegularExpressions.Regex.Count(rbac, @"'Microsoft\.Authorization/roleAssignments@[^']+'");
        Assert.Equal(4, assignments);
        Assert.Equal(assignments, System.Text.RegularExpressions.Regex.Count(rbac, @"name: guid\(\w+\.id, principalId, roles\.\w+\)"));
        foreach (var role in new[] { "storageBlobDataOwner", "storageTableDataContributor", "monitoringMetricsPublisher", "keyVaultSecretsUser" })
        {
            Assert.Contains($"roles.{role})", rbac, StringComparison.Ordinal);
        }

        foreach (var file in Directory.GetFiles(Root, "*.bicep", SearchOption.AllDirectories).Where(f => !f.EndsWith("rbac.bicep", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("Microsoft.Authorization/roleAssignments", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_table_and_container_the_app_uses_is_provisioned()
    {
        var storage = File.ReadAllText(Path.Combine(Root, "modules", "storage.bicep"));
        foreach (var name in AppStorageNames.Tables.Concat(AppStorageNames.Containers))
        {
            Assert.Contains($"'{name}'", storage, StringComparison.Ordinal);
        }
    }
}
