using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;

namespace Crisis.Functions.Storage;

/// <summary>One page of a query and the token to fetch the next one (null at the end).</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, string? ContinuationToken);

/// <summary>
/// The table operations the features use: Azure.Data.Tables' own, with its failures translated into
/// <see cref="StorageException"/>s, continuation tokens made opaque, and the service limits that the emulator
/// does not enforce checked before a request is sent.
/// </summary>
public static class Tables
{
    /// <summary>The most entities the service returns in one page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Reads one entity, or null when it does not exist.</summary>
    public static async Task<TableEntity?> FindAsync(this TableClient table, string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var found = await StorageErrors.Translate(
            $"Read from {table.Name}",
            () => table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, WithKeys(select), cancellationToken),
            cancellationToken);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Reads one entity; <see cref="NotFoundException"/> when it does not exist.</summary>
    public static async Task<TableEntity> ReadAsync(this TableClient table, string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        await table.FindAsync(partitionKey, rowKey, select, cancellationToken)
        ?? throw new NotFoundException($"Read from {table.Name} failed: no entity ({partitionKey}, {rowKey}).", "ResourceNotFound");

    /// <summary>All entities matching <paramref name="filter"/> (made with <see cref="TableClient.CreateQueryFilter(FormattableString)"/>), every page to the end.</summary>
    public static async IAsyncEnumerable<TableEntity> QueryRowsAsync(
        this TableClient table,
        string? filter = null,
        IEnumerable<string>? select = null,
        int? maxPerPage = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var operation = $"Query {table.Name}";
        await using var pages = table.QueryAsync<TableEntity>(filter, maxPerPage, WithKeys(select), cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        while (await StorageErrors.Translate(operation, () => pages.MoveNextAsync().AsTask(), cancellationToken))
        {
            foreach (var entity in pages.Current.Values)
            {
                yield return entity;
            }
        }
    }

    /// <summary>
    /// One page of a query, from where <paramref name="continuationToken"/> (from an earlier page) left off. The
    /// service may return fewer entities than asked for, even none, with a token: only a null token means the end.
    /// <see cref="FormatException"/> when the token is not one this app issued.
    /// </summary>
    public static async Task<TablePage> QueryPageAsync(
        this TableClient table, string? filter, IEnumerable<string>? select, int pageSize, string? continuationToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        var serviceToken = continuationToken is null ? null : DecodeContinuation(continuationToken);
        try
        {
            var page = await StorageErrors.Translate(
                $"Query {table.Name}",
                async () =>
                {
                    await foreach (var first in table.QueryAsync<TableEntity>(filter, pageSize, WithKeys(select), cancellationToken).AsPages(serviceToken, pageSize))
                    {
                        return first;
                    }

                    return null;
                },
                cancellationToken);
            return page is null
                ? new TablePage([], null)
                : new TablePage(page.Values, page.ContinuationToken is { } next ? EncodeContinuation(next) : null);
        }
        catch (StorageRefusedException) when (serviceToken is not null)
        {
            // Only a forged or garbled token makes a well-formed query invalid.
            throw new FormatException("The continuation token is not one this service issued.");
        }
    }

    /// <summary>Inserts a new entity; <see cref="AlreadyExistsException"/> when one with its keys exists. Returns its ETag.</summary>
    public static async Task<ETag> InsertAsync(this TableClient table, TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        EntityLimits.Check(entity);
        var response = await StorageErrors.Translate($"Insert into {table.Name}", () => table.AddEntityAsync(entity, cancellationToken), cancellationToken);
        return response.Headers.ETag ?? default;
    }

    /// <summary>Inserts or updates, whatever is stored.</summary>
    public static async Task<ETag> UpsertAsync(this TableClient table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        EntityLimits.Check(entity);
        var response = await StorageErrors.Translate($"Upsert into {table.Name}", () => table.UpsertEntityAsync(entity, mode, cancellationToken), cancellationToken);
        return response.Headers.ETag ?? default;
    }

    /// <summary>
    /// Updates an existing entity if its ETag is still <paramref name="ifMatch"/> (<see cref="ETag.All"/>: any):
    /// <see cref="ChangedMeanwhileException"/> when someone changed it first, <see cref="NotFoundException"/> when it is gone.
    /// </summary>
    public static async Task<ETag> UpdateAsync(this TableClient table, TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        EntityLimits.Check(entity);
        if (ifMatch == default)
        {
            throw new ArgumentException("A conditional update needs the ETag read with the entity, or ETag.All.", nameof(ifMatch));
        }

        var response = await StorageErrors.Translate($"Update in {table.Name}", () => table.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken), cancellationToken);
        return response.Headers.ETag ?? default;
    }

    /// <summary>Deletes an entity if its ETag is <paramref name="ifMatch"/> (default: any); false when there was none.</summary>
    public static async Task<bool> RemoveAsync(this TableClient table, string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var response = await StorageErrors.Translate(
            $"Delete from {table.Name}",
            () => table.DeleteEntityAsync(partitionKey, rowKey, ifMatch == default ? ETag.All : ifMatch, cancellationToken),
            cancellationToken);
        return response.Status != 404;
    }

    /// <summary>
    /// Runs the actions as one entity-group transaction, all or none, after checking the service's limits (at most
    /// 100 actions on distinct entities of one partition, a body under 4 MiB), which the emulator does not enforce.
    /// Returns the new ETag of each action (default for deletes).
    /// </summary>
    public static async Task<IReadOnlyList<ETag>> SubmitAsync(this TableClient table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        TransactionLimits.Check(actions);
        var response = await StorageErrors.Translate($"Transaction on {table.Name}", () => table.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
        return [.. response.Value.Select(r => r.Headers.ETag ?? default)];
    }

    /// <summary>A filter for the rows of one partition whose RowKey starts with <paramref name="prefix"/>.</summary>
    public static string RowKeyPrefixFilter(string partitionKey, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var upperBound = prefix[..^1] + (char)(prefix[^1] + 1);
        return TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {prefix} and RowKey lt {upperBound}");
    }

    /// <summary>Both filters (each made by <see cref="TableClient.CreateQueryFilter(FormattableString)"/>, so neither holds raw input).</summary>
    public static string And(string filter, string other) => $"({filter}) and ({other})";

    /// <summary>The keys always come back, so every entity read can be written again.</summary>
    private static string[]? WithKeys(IEnumerable<string>? select) =>
        select?.ToArray() is { Length: > 0 } names ? [.. names.Union(["PartitionKey", "RowKey"], StringComparer.Ordinal)] : null;

    // The SDK's token names the service's next partition and row; it travels in URLs, so it is made opaque and URL-safe.
    private static string EncodeContinuation(string serviceToken) => Base64Url.Encode(Encoding.UTF8.GetBytes(serviceToken));

    private static string DecodeContinuation(string token)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.Decode(token);
        }
        catch (FormatException)
        {
            throw new FormatException("The continuation token is not one this service issued.");
        }

        var text = Encoding.UTF8.GetString(bytes);
        if (text.Length == 0 || text.Any(char.IsControl) || text.Contains('\uFFFD', StringComparison.Ordinal))
        {
            throw new FormatException("The continuation token is not one this service issued.");
        }

        return text;
    }
}

/// <summary>The Table service's limits on keys and entities, checked here because the emulator does not check them all.</summary>
public static class EntityLimits
{
    public const int MaxKeyLength = 1024;
    public const int MaxCustomProperties = 252;
    public const int MaxStringLength = 32 * 1024;
    public const int MaxBinaryLength = 64 * 1024;

    private static readonly HashSet<string> SystemProperties = new(StringComparer.Ordinal) { "PartitionKey", "RowKey", "Timestamp", "odata.etag" };

    public static bool IsValidKey(string? key) =>
        key is not null
        && key.Length <= MaxKeyLength
        && !key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    /// <summary>Throws <see cref="ArgumentException"/> for an entity the service would refuse.</summary>
    public static void Check(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!IsValidKey(entity.PartitionKey) || !IsValidKey(entity.RowKey))
        {
            throw new ArgumentException("A table key must be at most 1024 characters without '/', '\\', '#', '?' or control characters.", nameof(entity));
        }

        var custom = 0;
        foreach (var (name, value) in entity)
        {
            if (SystemProperties.Contains(name))
            {
                continue;
            }

            custom++;
            switch (value)
            {
                case string s when s.Length > MaxStringLength:
                    throw new ArgumentException($"Property '{name}' is longer than {MaxStringLength} characters.", nameof(entity));
                case byte[] b when b.Length > MaxBinaryLength:
                    throw new ArgumentException($"Property '{name}' is larger than {MaxBinaryLength} bytes.", nameof(entity));
            }
        }

        if (custom > MaxCustomProperties)
        {
            throw new ArgumentException($"An entity can hold at most {MaxCustomProperties} properties besides its keys.", nameof(entity));
        }
    }
}

/// <summary>The limits of an entity-group transaction.</summary>
public static class TransactionLimits
{
    public const int MaxActions = 100;
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Each action's share of the request beyond its entity's JSON: the part's headers and request line.</summary>
    private const int PerActionOverhead = 512;

    public static void Check(IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count is 0 or > MaxActions)
        {
            throw new ArgumentException($"A transaction holds 1 to {MaxActions} actions, not {actions.Count}.", nameof(actions));
        }

        var partition = actions[0].Entity.PartitionKey;
        if (actions.Any(a => !string.Equals(a.Entity.PartitionKey, partition, StringComparison.Ordinal)))
        {
            throw new ArgumentException("All actions of a transaction must share one PartitionKey.", nameof(actions));
        }

        if (actions.Select(a => a.Entity.RowKey).Distinct(StringComparer.Ordinal).Count() != actions.Count)
        {
            throw new ArgumentException("A transaction may touch each entity only once.", nameof(actions));
        }

        long bytes = 0;
        foreach (var action in actions)
        {
            if (action.Entity is TableEntity entity)
            {
                EntityLimits.Check(entity);
                bytes += JsonSerializer.SerializeToUtf8Bytes<IDictionary<string, object>>(entity).Length;
            }

            bytes += PerActionOverhead;
        }

        if (bytes >= MaxBodyBytes)
        {
            throw new ArgumentException($"The transaction's body would be about {bytes} bytes; the Table service takes less than {MaxBodyBytes}.", nameof(actions));
        }
    }
}
