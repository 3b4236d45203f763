using System.Globalization;
using Azure.Data.Tables;

namespace Crisis.Functions.Storage;

/// <summary>
/// Pages through several queries as one list (e.g. one per shard): query 0 to its end, then
/// query 1, and so on. The continuation names the query and that query's own continuation: <c>{n}~{token}</c>.
/// </summary>
public static class SequencedQueries
{
    /// <summary>
    /// Up to <paramref name="pageSize"/> entities from <paramref name="filters"/> taken in order, from where
    /// <paramref name="continuationToken"/> left off; <see cref="FormatException"/> when that is not a continuation of these queries.
    /// </summary>
    public static Task<TablePage> QueryPageAsync(
        this TableClient table, IReadOnlyList<string> filters, IEnumerable<string>? select, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return QueryPageAsync([.. filters.Select(filter => (table, filter))], select, pageSize, continuationToken, cancellationToken);
    }

    /// <summary>The same for queries of several tables (e.g. one table per shard), each query naming its table.</summary>
    public static async Task<TablePage> QueryPageAsync(
        IReadOnlyList<(TableClient Table, string Filter)> queries, IEnumerable<string>? select, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var (position, token) = Parse(continuationToken, queries.Count);
        var columns = select?.ToArray();
        var entities = new List<TableEntity>();
        while (position < queries.Count && entities.Count < pageSize)
        {
            var (table, filter) = queries[position];
            var page = await table.QueryPageAsync(filter, columns, pageSize - entities.Count, token, cancellationToken);
            entities.AddRange(page.Entities);
            token = page.ContinuationToken;
            if (token is null)
            {
                position++;
            }
        }

        return new TablePage(entities, position >= queries.Count ? null : string.Create(CultureInfo.InvariantCulture, $"{position}~{token}"));
    }

    private static (int Position, string? Token) Parse(string? continuationToken, int queries)
    {
        if (continuationToken is null)
        {
            return (0, null);
        }

        var separator = continuationToken.IndexOf('~', StringComparison.Ordinal);
        if (separator < 1 || !int.TryParse(continuationToken.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position >= queries)
        {
            throw new FormatException("The continuation token is not valid.");
        }

        var token = continuationToken[(separator + 1)..];
        return (position, token.Length == 0 ? null : token);
    }
}
