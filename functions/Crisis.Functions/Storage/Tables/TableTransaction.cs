using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;

namespace Crisis.Functions.Storage.Tables;

public enum TableTransactionActionType
{
    Add,
    UpdateMerge,
    UpdateReplace,
    UpsertMerge,
    UpsertReplace,
    Delete,
}

/// <summary>One operation of an entity-group transaction; <paramref name="IfMatch"/> guards updates and deletes (default: any).</summary>
public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, ETag IfMatch = default);

/// <summary>Builds the multipart/mixed body of an entity-group transaction and reads its answer.</summary>
internal static partial class TableTransaction
{
    public const int MaxActions = 100;
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public static async Task<IReadOnlyList<ETag>> SubmitAsync(TableClient table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        Validate(actions);
        var batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
        var changesetBoundary = "changeset_" + Guid.NewGuid().ToString("N");
        var body = BuildBody(table, actions, batchBoundary, changesetBoundary);
        if (body.Length >= MaxBodyBytes)
        {
            throw new ArgumentException($"The transaction's body is {body.Length} bytes; the Table service takes less than {MaxBodyBytes}.", nameof(actions));
        }

        var pipeline = table.Pipeline;
        using var message = pipeline.CreateMessage(RequestMethod.Post, "$batch");
        message.Request.Headers.Add("Content-Type", $"multipart/mixed; boundary={batchBoundary}");
        message.Request.Content = RequestContent.Create(body);
        var operation = $"Transaction on {table.Name}";
        var response = await pipeline.SendAsync(message, operation, cancellationToken, 202);
        return ReadResponse(response, actions.Count, operation);
    }

    internal static void Validate(IReadOnlyList<TableTransactionAction> actions)
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
    }

    private static byte[] BuildBody(TableClient table, IReadOnlyList<TableTransactionAction> actions, string batchBoundary, string changesetBoundary)
    {
        var tableUri = table.Pipeline.Endpoint.AbsoluteUri.TrimEnd('/') + "/";
        using var stream = new MemoryStream();
        void Write(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            stream.Write(bytes, 0, bytes.Length);
        }

        Write($"--{batchBoundary}\r\nContent-Type: multipart/mixed; boundary={changesetBoundary}\r\n\r\n");
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var entity = action.Entity;
            var (method, path, ifMatch) = action.ActionType switch
            {
                TableTransactionActionType.Add => ("POST", table.Name, (string?)null),
                TableTransactionActionType.UpdateMerge => ("MERGE", table.EntityPath(entity.PartitionKey, entity.RowKey), IfMatchOrAny(action.IfMatch)),
                TableTransactionActionType.UpdateReplace => ("PUT", table.EntityPath(entity.PartitionKey, entity.RowKey), IfMatchOrAny(action.IfMatch)),
                TableTransactionActionType.UpsertMerge => ("MERGE", table.EntityPath(entity.PartitionKey, entity.RowKey), null),
                TableTransactionActionType.UpsertReplace => ("PUT", table.EntityPath(entity.PartitionKey, entity.RowKey), null),
                TableTransactionActionType.Delete => ("DELETE", table.EntityPath(entity.PartitionKey, entity.RowKey), IfMatchOrAny(action.IfMatch)),
                _ => throw new ArgumentOutOfRangeException(nameof(actions), action.ActionType, "Unknown transaction action."),
            };

            Write($"--{changesetBoundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {i}\r\n\r\n");
            Write($"{method} {tableUri}{path} HTTP/1.1\r\n");
            Write("Accept: application/json;odata=minimalmetadata\r\nDataServiceVersion: 3.0\r\n");
            if (method == "POST")
            {
                Write("Prefer: return-no-content\r\n");
            }

            if (ifMatch is not null)
            {
                Write($"If-Match: {ifMatch}\r\n");
            }

            if (action.ActionType == TableTransactionActionType.Delete)
            {
                Write("\r\n");
            }
            else
            {
                var json = EntityJson.Serialise(entity);
                Write($"Content-Type: application/json\r\nContent-Length: {json.Length.ToString(CultureInfo.InvariantCulture)}\r\n\r\n");
                stream.Write(json, 0, json.Length);
                Write("\r\n");
            }
        }

        Write($"--{changesetBoundary}--\r\n--{batchBoundary}--\r\n");
        return stream.ToArray();
    }

    private static string IfMatchOrAny(ETag etag) => etag == default ? "*" : etag.ToString();

    /// <summary>
    /// A successful changeset answers one response part per action, in order. A failed one answers a single
    /// part with the failing status, whose error message starts with the failing action's index ("3:...").
    /// </summary>
    internal static IReadOnlyList<ETag> ReadResponse(Response response, int actionCount, string operation)
    {
        var text = response.Content.ToString();
        var parts = StatusLine().Matches(text);
        foreach (Match part in parts)
        {
            var status = int.Parse(part.Groups["status"].Value, CultureInfo.InvariantCulture);
            if (status >= 300)
            {
                var rest = text[part.Index..];
                var bodyStart = rest.IndexOf('{', StringComparison.Ordinal);
                var bodyEnd = rest.LastIndexOf('}');
                var (code, serviceMessage) = bodyStart >= 0 && bodyEnd > bodyStart
                    ? StoragePipeline.ParseErrorBody(rest[bodyStart..(bodyEnd + 1)])
                    : (null, null);
                int? index = null;
                if (serviceMessage is not null && FailedIndex().Match(serviceMessage) is { Success: true } m)
                {
                    index = int.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture);
                }

                throw StorageRequestException.Create(status, code, serviceMessage, operation, index);
            }
        }

        if (parts.Count != actionCount)
        {
            throw StorageRequestException.Create(response.Status, "UnexpectedBatchResponse", $"expected {actionCount} responses, got {parts.Count}", operation);
        }

        var etags = new List<ETag>(actionCount);
        for (var i = 0; i < parts.Count; i++)
        {
            var end = i + 1 < parts.Count ? parts[i + 1].Index : text.Length;
            var match = ETagHeader().Match(text, parts[i].Index, end - parts[i].Index);
            etags.Add(match.Success ? new ETag(match.Groups["etag"].Value.Trim()) : default);
        }

        return etags;
    }

    [GeneratedRegex(@"^HTTP/1\.1 (?<status>\d{3})", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^ETag:\s*(?<etag>.+?)\r?$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ETagHeader();

    [GeneratedRegex(@"^(?<index>\d+):")]
    private static partial Regex FailedIndex();
}
