using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Feedback;

public enum QuestionStatus
{
    Open,
    Answered,
}

public sealed record Question(string Id, DateTimeOffset AskedAt, string Language, string Text, string? Contact, QuestionStatus Status, string? FaqEntryId, DateTimeOffset? AnsweredAt, string? AnsweredBy);

public sealed record VoteCount(string EntryId, int Helpful, int NotHelpful);

/// <summary>
/// Public feedback, partitioned per crisis so a busy crisis never contends with admin data. Votes are appended,
/// never counted in place, so a surge of votes writes without conflicts.
/// Row keys: <c>v|{entryId}|{time}|{random}</c> a vote, <c>q|{newest-first time}|{random}</c> a question.
/// Partition <c>asker|{contact hash}</c> lists the questions of one asker who left an address (row
/// <c>{crisis}|{question row}</c>), so erasing that contact reads only its own rows.
/// </summary>
public sealed class FeedbackStore(CrisisStorage storage, TimeProvider time)
{
    public const string TableName = "feedback";

    public async Task AddVoteAsync(string crisisId, string entryId, bool helpful, string language, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var now = time.GetUtcNow();
        await table.InsertAsync(new TableEntity(crisisId, $"v|{entryId}|{now.UtcTicks:D19}|{Random()}")
        {
            ["Helpful"] = helpful,
            ["Language"] = language,
            ["At"] = now,
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<VoteCount>> CountVotesAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var counts = new Dictionary<string, (int Yes, int No)>(StringComparer.Ordinal);
        await foreach (var row in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(crisisId, "v|"), ["Helpful"], cancellationToken: cancellationToken))
        {
            var entryId = row.RowKey.Split('|')[1];
            var (yes, no) = counts.GetValueOrDefault(entryId);
            counts[entryId] = row.GetBoolean("Helpful") == true ? (yes + 1, no) : (yes, no + 1);
        }

        return [.. counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new VoteCount(c.Key, c.Value.Yes, c.Value.No))];
    }

    /// <summary>Adds <paramref name="views"/> to the FAQ view count of one language; concurrent adds are each kept.</summary>
    public async Task AddFaqViewsAsync(string crisisId, string language, long views, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.AddAsync(crisisId, "views|" + language, "Count", views, time, cancellationToken);
    }

    /// <summary>FAQ views per language.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountFaqViewsAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var views = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await foreach (var row in table.QueryRowsAsync(Tables.RowKeyPrefixFilter(crisisId, "views|"), cancellationToken: cancellationToken))
        {
            views[row.RowKey[6..]] = row.GetCount("Count") ?? 0;
        }

        return views;
    }

    public async Task<Question> AddQuestionAsync(string crisisId, string text, string language, string? contact, string? contactHash, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var now = time.GetUtcNow();
        var id = (DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + Random();
        var question = new Question(id, now, language, text, contact, QuestionStatus.Open, null, null, null);

        // Indexed first: a crash in between leaves an entry pointing at nothing, never an address erasure cannot find.
        if (contactHash is not null)
        {
            await table.InsertAsync(new TableEntity(AskerPartition(contactHash), crisisId + "|" + QuestionRow(id)), cancellationToken);
        }

        await table.InsertAsync(ToRow(crisisId, question), cancellationToken);
        return question;
    }

    public async Task<IReadOnlyList<Question>> ListQuestionsAsync(string crisisId, QuestionStatus? status, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var filter = Tables.RowKeyPrefixFilter(crisisId, "q|");
        if (status is { } wanted)
        {
            filter = Tables.And(filter, TableClient.CreateQueryFilter($"Status eq {wanted.ToString()}"));
        }

        var questions = new List<Question>();
        await foreach (var row in table.QueryRowsAsync(filter, cancellationToken: cancellationToken))
        {
            questions.Add(FromRow(row));
        }

        return questions;
    }

    public async Task<(Question Question, ETag ETag)?> GetQuestionAsync(string crisisId, string questionId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var row = await table.FindAsync(crisisId, QuestionRow(questionId), cancellationToken: cancellationToken);
        return row is null ? null : (FromRow(row), row.ETag);
    }

    /// <summary>Saves the answered question if nobody changed it since it was read.</summary>
    public async Task ReplaceQuestionAsync(string crisisId, Question question, ETag etag, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        await table.UpdateAsync(ToRow(crisisId, question), etag, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// Erasure: removes the address from every question its owner asked, in any crisis (the question stays, for the
    /// record, without its asker), found through the asker's index rows, which go too.
    /// </summary>
    public async Task<int> ForgetContactAsync(string contactHash, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName, cancellationToken);
        var partition = AskerPartition(contactHash);
        var forgotten = 0;
        await foreach (var entry in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), ["RowKey"], cancellationToken: cancellationToken))
        {
            var (crisisId, questionRow) = (entry.RowKey[..entry.RowKey.IndexOf('|', StringComparison.Ordinal)], entry.RowKey[(entry.RowKey.IndexOf('|', StringComparison.Ordinal) + 1)..]);
            if (await table.FindAsync(crisisId, questionRow, cancellationToken: cancellationToken) is { } row)
            {
                await table.UpdateAsync(ToRow(crisisId, FromRow(row) with { Contact = null }), ETag.All, TableUpdateMode.Replace, cancellationToken);
                forgotten++;
            }

            await table.RemoveAsync(partition, entry.RowKey, cancellationToken: cancellationToken);
        }

        return forgotten;
    }

    private static string AskerPartition(string contactHash) => "asker|" + contactHash;

    private static string QuestionRow(string questionId) => "q|" + questionId;

    private static TableEntity ToRow(string crisisId, Question question)
    {
        var row = new TableEntity(crisisId, QuestionRow(question.Id))
        {
            ["AskedAt"] = question.AskedAt,
            ["Language"] = question.Language,
            ["Text"] = question.Text,
            ["Contact"] = question.Contact,
            ["Status"] = question.Status.ToString(),
            ["FaqEntryId"] = question.FaqEntryId,
            ["AnsweredBy"] = question.AnsweredBy,
        };
        if (question.AnsweredAt is { } answeredAt)
        {
            row["AnsweredAt"] = answeredAt;
        }

        return row;
    }

    private static Question FromRow(TableEntity row) => new(
        row.RowKey[2..],
        row.GetDateTimeOffset("AskedAt")!.Value,
        row.GetString("Language")!,
        row.GetString("Text")!,
        row.GetString("Contact"),
        Enum.Parse<QuestionStatus>(row.GetString("Status")!),
        row.GetString("FaqEntryId"),
        row.GetDateTimeOffset("AnsweredAt"),
        row.GetString("AnsweredBy"));

    private static string Random() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}
