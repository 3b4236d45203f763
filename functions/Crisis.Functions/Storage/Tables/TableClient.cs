using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Crisis.Functions.Common;

namespace Crisis.Functions.Storage.Tables;

/// <summary>How an update treats properties the entity in storage has and the new one lacks.</summary>
public enum TableUpdateMode
{
    /// <summary>Keep them (MERGE).</summary>
    Merge,

    /// <summary>Drop them (PUT).</summary>
    Replace,
}

/// <summary>One page of a query and the token to fetch the next one (null at the end).</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, string? ContinuationToken);

/// <summary>
/// One table, spoken to through the Table service REST API. Method names follow Azure.Data.Tables'
/// TableClient so a later switch to the official SDK is a change of this one folder.
/// </summary>
public sealed class TableClient
{
    public const int MaxPageSize = 1000;

    private static readonly RequestMethod Merge = new("MERGE");
    private readonly StoragePipeline _pipeline;

    internal TableClient(StoragePipeline pipeline, string name)
    {
        TableServiceClient.ValidateTableName(name);
        _pipeline = pipeline;
        Name = name;
    }

    public string Name { get; }

    internal StoragePipeline Pipeline => _pipeline;

    /// <summary>Creates the table; true when it was created, false when it existed already.</summary>
    public async Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Post, "Tables");
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Headers.Add("Prefer", "return-no-content");
        message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["TableName"] = Name }));
        var response = await _pipeline.SendAsync(message, $"Create table {Name}", cancellationToken, 201, 204, 409);
        return response.Status != 409;
    }

    public async Task DeleteAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, $"Tables('{Name}')");
        await _pipeline.SendAsync(message, $"Delete table {Name}", cancellationToken, 204, 404);
    }

    /// <summary>Inserts a new entity; <see cref="StorageConflictException"/> when one with the same keys exists.</summary>
    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = _pipeline.CreateMessage(RequestMethod.Post, Name);
        AddJsonBody(message.Request, entity);
        message.Request.Headers.Add("Prefer", "return-no-content");
        var response = await _pipeline.SendAsync(message, $"Insert into {Name}", cancellationToken, 201, 204);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>Inserts or updates, unconditionally.</summary>
    public async Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = _pipeline.CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityPath(entity.PartitionKey, entity.RowKey));
        AddJsonBody(message.Request, entity);
        var response = await _pipeline.SendAsync(message, $"Upsert into {Name}", cancellationToken, 204);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>
    /// Updates an existing entity when its ETag still matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any):
    /// <see cref="StoragePreconditionFailedException"/> when someone changed it first, <see cref="StorageNotFoundException"/> when it is gone.
    /// </summary>
    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        RequireETag(ifMatch);
        using var message = _pipeline.CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityPath(entity.PartitionKey, entity.RowKey));
        AddJsonBody(message.Request, entity);
        message.Request.Headers.Add("If-Match", ifMatch.ToString());
        var response = await _pipeline.SendAsync(message, $"Update in {Name}", cancellationToken, 204);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>Deletes an entity if its ETag matches; false when it did not exist.</summary>
    public async Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, EntityPath(partitionKey, rowKey));
        message.Request.Headers.Add("If-Match", ifMatch == default ? "*" : ifMatch.ToString());
        var response = await _pipeline.SendAsync(message, $"Delete from {Name}", cancellationToken, 204, 404);
        return response.Status == 204;
    }

    /// <summary>Reads one entity; <see cref="StorageNotFoundException"/> when it does not exist.</summary>
    public async Task<TableEntity> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        await GetEntityIfExistsAsync(partitionKey, rowKey, select, cancellationToken)
        ?? throw StorageRequestException.Create(404, "ResourceNotFound", null, $"Read from {Name}");

    /// <summary>Reads one entity, or null when it does not exist.</summary>
    public async Task<TableEntity?> GetEntityIfExistsAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, EntityPath(partitionKey, rowKey));
        AddSelect(message.Request, select);
        var response = await _pipeline.SendAsync(message, $"Read from {Name}", cancellationToken, 200, 404);
        if (response.Status == 404)
        {
            return null;
        }

        using var document = JsonDocument.Parse(response.Content.ToMemory());
        var entity = EntityJson.Deserialise(document.RootElement);
        if (entity.ETag == default)
        {
            entity.ETag = StoragePipeline.ReadETag(response);
        }

        return entity;
    }

    /// <summary>All entities matching the filter, following continuation tokens to the end.</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(
        TableFilter? filter = null,
        IEnumerable<string>? select = null,
        int? maxPerPage = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var selected = select?.ToArray();
        string? continuation = null;
        do
        {
            var page = await QueryPageAsync(filter, selected, maxPerPage, continuation, cancellationToken);
            foreach (var entity in page.Entities)
            {
                yield return entity;
            }

            continuation = page.ContinuationToken;
        }
        while (continuation is not null);
    }

    /// <summary>
    /// One page of a query. The service may return fewer entities than asked for (even none) with a
    /// continuation token: only a null token means the end.
    /// </summary>
    public async Task<TablePage> QueryPageAsync(
        TableFilter? filter,
        IEnumerable<string>? select,
        int? pageSize,
        string? continuationToken,
        CancellationToken cancellationToken = default)
    {
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), $"A page holds 1 to {MaxPageSize} entities.");
        }

        using var message = _pipeline.CreateMessage(RequestMethod.Get, Name + "()");
        var uri = message.Request.Uri;
        if (filter is not null)
        {
            uri.AppendQuery("$filter", filter.Text, escapeValue: true);
        }

        AddSelect(message.Request, select);
        if (pageSize is { } top)
        {
            uri.AppendQuery("$top", top.ToString(System.Globalization.CultureInfo.InvariantCulture), escapeValue: false);
        }

        if (continuationToken is not null)
        {
            var (nextPartition, nextRow) = DecodeContinuation(continuationToken);
            uri.AppendQuery("NextPartitionKey", nextPartition, escapeValue: true);
            if (nextRow is not null)
            {
                uri.AppendQuery("NextRowKey", nextRow, escapeValue: true);
            }
        }

        var response = await _pipeline.SendAsync(message, $"Query {Name}", cancellationToken, 200);
        using var document = JsonDocument.Parse(response.Content.ToMemory());
        var entities = document.RootElement.GetProperty("value").EnumerateArray().Select(EntityJson.Deserialise).ToList();
        response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var partition);
        response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var row);
        return new TablePage(entities, partition is null ? null : EncodeContinuation(partition, row));
    }

    /// <summary>
    /// Runs the actions as one entity-group transaction: all succeed or none. Enforces the service's limits
    /// (at most 100 actions, one partition, each entity once, under 4 MiB) before sending, since the
    /// emulator does not. Returns the new ETag of each action (default for deletes).
    /// </summary>
    public Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
        TableTransaction.SubmitAsync(this, actions, cancellationToken);

    internal string EntityPath(string partitionKey, string rowKey)
    {
        TableKeys.Validate(partitionKey, nameof(partitionKey));
        TableKeys.Validate(rowKey, nameof(rowKey));
        return $"{Name}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')";
    }

    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static void AddJsonBody(Request request, TableEntity entity)
    {
        request.Headers.Add("Content-Type", "application/json");
        request.Content = RequestContent.Create(EntityJson.Serialise(entity));
    }

    private static void AddSelect(Request request, IEnumerable<string>? select)
    {
        if (select is null)
        {
            return;
        }

        var names = select.ToArray();
        foreach (var name in names)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp"))
            {
                EntityJson.ValidatePropertyName(name);
            }
        }

        if (names.Length > 0)
        {
            // The keys always come back, so every entity read can be written again.
            var withKeys = names.Union(["PartitionKey", "RowKey"], StringComparer.Ordinal);
            request.Uri.AppendQuery("$select", string.Join(',', withKeys), escapeValue: true);
        }
    }

    private static void RequireETag(ETag etag)
    {
        if (etag == default)
        {
            throw new ArgumentException("A conditional update needs the ETag read with the entity, or ETag.All.", nameof(etag));
        }
    }

    private static string EncodeContinuation(string partition, string? row) =>
        Base64Url.Encode(Encoding.UTF8.GetBytes(partition + "\n" + row));

    internal static (string Partition, string? Row) DecodeContinuation(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.Decode(token));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline <= 0)
            {
                throw new FormatException();
            }

            var row = text[(newline + 1)..];
            return (text[..newline], row.Length == 0 ? null : row);
        }
        catch (FormatException)
        {
            throw new ArgumentException("The continuation token is not one this service issued.", nameof(token));
        }
    }
}
