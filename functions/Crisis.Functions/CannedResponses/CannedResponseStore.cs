using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Storage;

namespace Crisis.Functions.CannedResponses;

/// <summary>Canned responses in table <c>cannedresponses</c>: partition = crisis, row = response id; the document as JSON, the use count beside it.</summary>
public sealed class CannedResponseStore(CrisisStorage storage, TimeProvider time)
{
    public const string TableName = "cannedresponses";
    private const int MaxConcurrencyRetries = 8;

    public async Task<(CannedResponse Response, ETag ETag)?> GetAsync(string crisisId, string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(crisisId, id, cancellationToken: cancellationToken);
        return row is null ? null : (FromRow(row), row.ETag);
    }

    public async Task<IReadOnlyList<CannedResponse>> ListAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var responses = new List<CannedResponse>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {crisisId}"), cancellationToken: cancellationToken))
        {
            responses.Add(FromRow(row));
        }

        return [.. responses.OrderBy(r => r.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    public async Task AddAsync(CannedResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.InsertAsync(ToRow(response), cancellationToken);
    }

    /// <summary>Replaces the response if unchanged since <paramref name="etag"/>; <see cref="ChangedMeanwhileException"/> otherwise.</summary>
    public async Task ReplaceAsync(CannedResponse response, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.UpdateAsync(ToRow(response), etag, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Archives every response of the crisis not archived yet (the crisis has expired); returns how many it archived. Safe to repeat.</summary>
    public async Task<int> ArchiveAllAsync(string crisisId, string actor, CancellationToken cancellationToken)
    {
        var archived = 0;
        foreach (var response in await ListAsync(crisisId, cancellationToken))
        {
            for (var attempt = 1; attempt <= MaxConcurrencyRetries; attempt++)
            {
                if (await GetAsync(crisisId, response.Id, cancellationToken) is not var (current, etag) || current.Status == ResponseStatus.Archived)
                {
                    break;
                }

                try
                {
                    var now = time.GetUtcNow();
                    await ReplaceAsync(current with { Status = ResponseStatus.Archived, ArchivedAt = now, UpdatedAt = now, UpdatedBy = actor }, etag, cancellationToken);
                    archived++;
                    break;
                }
                catch (ChangedMeanwhileException)
                {
                    // Changed meanwhile (a use counted, another run): read again.
                }
            }
        }

        return archived;
    }

    /// <summary>Counts one use of a stored response; concurrent uses are each counted.</summary>
    public async Task<int> CountUseAsync(string crisisId, string id, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        return (int)await table.AddAsync(crisisId, id, "Uses", 1, time, cancellationToken);
    }

    private static TableEntity ToRow(CannedResponse response)
    {
        var row = new TableEntity(response.CrisisId, response.Id) { ["Status"] = response.Status.ToString(), ["Uses"] = response.Uses };
        TableJson.Put(row, "Data", TableJson.Serialize(response with { Uses = 0 }));
        return row;
    }

    private static CannedResponse FromRow(TableEntity row) =>
        TableJson.Read<CannedResponse>(row, "Data") with { Uses = (int)(row.GetCount("Uses") ?? 0) };
}
