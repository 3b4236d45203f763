using System.ComponentModel.DataAnnotations;

namespace Crisis.Functions.Storage;

/// <summary>
/// Where the app keeps its tables and blobs. Either a connection string (shared key, Azurite) or
/// service endpoints with a token credential (managed identity in Azure). When neither is set and the
/// app runs outside the Functions host, an embedded Azurite is started instead.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string? ConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    public Uri? TableServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means the ambient credential chain.</summary>
    public string? ClientId { get; set; }

    /// <summary>Prepended to every table and container name, so several apps (or test runs) can share an account.</summary>
    [RegularExpression("^[a-z][a-z0-9]{0,15}$|^$", ErrorMessage = "Storage:NamePrefix must be empty or a lowercase letter followed by up to 15 lowercase letters or digits.")]
    public string NamePrefix { get; set; } = "";

    /// <summary>Per-attempt network timeout of a storage request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool HasConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);

    public bool HasIdentityEndpoints => BlobServiceUri is not null && TableServiceUri is not null;
}
