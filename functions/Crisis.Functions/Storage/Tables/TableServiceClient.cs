using System.Text.RegularExpressions;

namespace Crisis.Functions.Storage.Tables;

/// <summary>The Table service of one account.</summary>
public sealed partial class TableServiceClient(StoragePipeline pipeline)
{
    public StoragePipeline Pipeline { get; } = pipeline;

    public TableClient GetTableClient(string name) => new(Pipeline, name);

    /// <summary>Table names: 3-63 letters or digits, starting with a letter ("tables" is reserved).</summary>
    public static void ValidateTableName(string name)
    {
        if (name is null || !TableName().IsMatch(name) || string.Equals(name, "tables", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{name}' is not a valid table name.", nameof(name));
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}\\z")]
    private static partial Regex TableName();
}
