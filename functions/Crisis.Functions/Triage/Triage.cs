using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Triage;

/// <summary>A tag and the words (per language) that signal it; <see cref="Need"/> picks the recommended channel from the crisis' channels by need.</summary>
public sealed record TriageRule(
    [property: MaxLength(Topics.MaxLength)] string Tag,
    [property: LocalisedText(TriageRule.MaxKeyword, MaxLanguages = CrisisValidation.MaxLanguages, MaxItems = TriageRule.MaxKeywords)] Dictionary<string, List<string>> Keywords,
    Need? Need = null)
{
    public const int MaxKeywords = 50;

    public const int MaxKeyword = 100;
}

/// <summary>A crisis' triage rules; the limit is declared once, here, for the validation and the OpenAPI schema.</summary>
public sealed record TriageRules([property: MaxLength(TriageRules.MaxRules)] List<TriageRule> Rules)
{
    public const int MaxRules = 100;
}

public sealed record TriageRequest([property: MaxLength(TriageRequest.MaxText)] string Text, [property: MaxLength(Languages.MaxTag)] string? Language = null, ChannelKind? Channel = null)
{
    public const int MaxText = 5000;
}

public sealed record TagMatch(string Tag, string Language, string Keyword);

public sealed record Suggestion(string Id, string Name, IReadOnlyList<string> Tags);

public sealed record RecommendedChannel(Need Need, ChannelKind Channel, string Contact, bool SameAsIncoming);

public sealed record TriageResult(IReadOnlyList<string> Tags, IReadOnlyList<TagMatch> Matches, IReadOnlyList<Suggestion> Suggestions, RecommendedChannel? RecommendedChannel);

public sealed record TagCount(DateTimeOffset Hour, string Tag, int Count);

/// <summary>
/// Keyword matching for triage. Text and keywords are folded the way FAQ search folds them (case; optional
/// accents and vowel points; Arabic/Persian letter variants), split into words at spaces, punctuation and the
/// zero-width non-joiner (so a Persian suffix does not hide its word), and a keyword matches only as whole,
/// consecutive words: "refund" matches "Refund!" but not "refundable".
/// </summary>
public static class KeywordMatcher
{
    public static IReadOnlyList<string> Words(string text) =>
        [.. TextSearch.Fold(text).Split(static c => !(char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark), StringSplitOptions.RemoveEmptyEntries)];

    public static bool Contains(IReadOnlyList<string> words, IReadOnlyList<string> phrase)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(phrase);
        if (phrase.Count == 0)
        {
            return false;
        }

        for (var start = 0; start + phrase.Count <= words.Count; start++)
        {
            var all = true;
            for (var i = 0; i < phrase.Count && all; i++)
            {
                all = words[start + i] == phrase[i];
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The rules whose keywords (in <paramref name="language"/> and its base language, or in every language when null) occur in the text.</summary>
    public static IReadOnlyList<TagMatch> Match(string text, string? language, IReadOnlyList<TriageRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var words = Words(text);
        var matches = new List<TagMatch>();
        foreach (var rule in rules)
        {
            var hit = rule.Keywords
                .Where(k => language is null || k.Key == language || k.Key == language.Split('-')[0] || k.Key.Split('-')[0] == language.Split('-')[0])
                .SelectMany(k => k.Value.Select(keyword => (Language: k.Key, Keyword: keyword)))
                .FirstOrDefault(k => Contains(words, Words(k.Keyword)));
            if (hit.Keyword is not null)
            {
                matches.Add(new TagMatch(rule.Tag, hit.Language, hit.Keyword));
            }
        }

        return matches;
    }

    private static string[] Split(this string text, Func<char, bool> separator, StringSplitOptions options)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || separator(text[i]))
            {
                if (i > start || options != StringSplitOptions.RemoveEmptyEntries)
                {
                    parts.Add(text[start..i]);
                }

                start = i + 1;
            }
        }

        return [.. parts];
    }
}

/// <summary>Triage rules per crisis (a versioned blob series, <c>{crisis}/rules</c>) and tag counts per hour (table <c>triagecounts</c>).</summary>
public sealed class TriageStore(CrisisStorage storage, TimeProvider time)
{
    public const string ContainerName = "triage";
    public const string CountTable = "triagecounts";
    private readonly VersionedBlobs _blobs = new(storage, ContainerName, time);

    public Task<(Versioned<TriageRules> Document, ETag ETag)?> GetRulesAsync(string crisisId, CancellationToken cancellationToken) =>
        _blobs.GetCurrentAsync<TriageRules>(crisisId + "/rules", cancellationToken);

    public Task<Versioned<TriageRules>> SaveRulesAsync(string crisisId, TriageRules rules, int? expectedVersion, string savedBy, CancellationToken cancellationToken) =>
        _blobs.SaveAsync(crisisId + "/rules", rules, expectedVersion, savedBy, cancellationToken);

    /// <summary>Adds one to each tag's count for the current hour.</summary>
    public async Task CountAsync(string crisisId, IEnumerable<string> tags, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(CountTable, cancellationToken);
        var hour = time.GetUtcNow().ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        foreach (var tag in tags)
        {
            await table.AddAsync(crisisId, $"{hour}|{tag}", "Count", 1, time, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<TagCount>> CountsAsync(string crisisId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(CountTable, cancellationToken);
        var counts = new List<TagCount>();
        await foreach (var row in table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {crisisId}"), cancellationToken: cancellationToken))
        {
            var parts = row.RowKey.Split('|');
            counts.Add(new TagCount(DateTimeOffset.ParseExact(parts[0], "yyyyMMddHH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), parts[1], (int)(row.GetCount("Count") ?? 0)));
        }

        return counts;
    }
}
