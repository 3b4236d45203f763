using Crisis.Functions.Access;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Triage;

public sealed record TriageRulesView(int Version, DateTimeOffset? SavedAt, string? SavedBy, IReadOnlyList<TriageRule> Rules);

public sealed record TagCountList(IReadOnlyList<TagCount> Counts);

/// <summary>
/// Triage, the admins' side: per-crisis keyword rules (versioned) and the hourly counts of the tags agents' messages got.
/// </summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: triage")]
public sealed class TriageAdminFunctions(CrisisService crises, CrisisStore audit, TriageStore store)
{
    [Function("GetTriageRules")]
    public async Task<Ok<TriageRulesView>> GetRules(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/triage-rules")] HttpRequest request, string id)
    {
        var response = request.HttpContext.Response;
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var current = (await store.GetRulesAsync(id, cancellationToken))?.Document;
        response.Headers.ETag = CrisisService.ETagOf('t', current?.Version ?? 0);
        return TypedResults.Ok(new TriageRulesView(current?.Version ?? 0, current?.SavedAt, current?.SavedBy, current?.Content.Rules ?? []));
    }

    [Function("SaveTriageRules")]
    [JsonBody(typeof(TriageRules), IfMatch = true)]
    public async Task<Results<Ok<TriageRulesView>, ValidationProblem, ProblemHttpResult>> SaveRules(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/crises/{id}/triage-rules")] HttpRequest request, string id)
    {
        var response = request.HttpContext.Response;
        var user = request.HttpContext.User;
        var cancellationToken = request.HttpContext.RequestAborted;
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 't', out var expected))
        {
            return Problems.Create(400, Problems.PreconditionFailed, "Invalid If-Match", "If-Match must be the ETag the rules were read with, e.g. \"t3\".");
        }

        var crisis = await crises.GetAsync(id, cancellationToken);
        if (crisis.Status == CrisisStatus.Archived)
        {
            throw new CrisisReadOnlyException(id);
        }

        var body = await JsonBody.ReadAsync<TriageRules>(request, 128 * 1024, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = Validate(body.Value!, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        Versioned<TriageRules> saved;
        try
        {
            saved = await store.SaveRulesAsync(id, body.Value!, expected, user.Actor(), cancellationToken);
        }
        catch (ChangedMeanwhileException e)
        {
            throw new VersionMismatchException(e.Message);
        }

        await audit.AuditAsync(id, user.Actor(), "triage-rules.save", null, $"version {saved.Version}", cancellationToken);
        response.Headers.ETag = CrisisService.ETagOf('t', saved.Version);
        return TypedResults.Ok(new TriageRulesView(saved.Version, saved.SavedAt, saved.SavedBy, saved.Content.Rules));
    }

    [Function("GetTriageCounts")]
    public async Task<Ok<TagCountList>> Counts(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/triage/counts")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new TagCountList([.. (await store.CountsAsync(id, cancellationToken)).OrderBy(c => c.Hour).ThenBy(c => c.Tag, StringComparer.Ordinal)]));
    }

    private static Validation Validate(TriageRules input, CrisisRecord crisis)
    {
        var v = new Validation();
        v.Count("rules", input.Rules, TriageRules.MaxRules);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Rules.Count; i++)
        {
            var rule = input.Rules[i];
            if (!Topics.IsValid(rule.Tag))
            {
                v.Add($"rules[{i}].tag", Topics.Rule);
            }
            else if (!seen.Add(rule.Tag))
            {
                v.Add($"rules[{i}].tag", $"'{rule.Tag}' has another rule already.");
            }

            if (rule.Keywords.Count == 0)
            {
                v.Add($"rules[{i}].keywords", "needs keywords in at least one language.");
            }

            foreach (var (language, keywords) in rule.Keywords)
            {
                var field = $"rules[{i}].keywords.{language}";
                if (!crisis.Languages.Contains(language))
                {
                    v.Add(field, $"'{language}' is not one of the crisis' languages ({string.Join(", ", crisis.Languages)}).");
                    continue;
                }

                v.Count(field, keywords, TriageRule.MaxKeywords);
                for (var k = 0; k < keywords.Count; k++)
                {
                    v.Text($"{field}[{k}]", keywords[k], TriageRule.MaxKeyword, multiline: false);
                    if (!string.IsNullOrWhiteSpace(keywords[k]) && UnicodeText.Problem(keywords[k]) is null && KeywordMatcher.Words(keywords[k]).Count == 0)
                    {
                        v.Add($"{field}[{k}]", "must contain a word.");
                    }
                }
            }
        }

        return v;
    }
}

/// <summary>
/// Triage, the agents' side: post a customer message and get its tags, the approved canned responses for those
/// tags and the channel the crisis recommends for the need. Every tag found is counted per hour for reporting.
/// </summary>
[RequiresPolicy(Policies.Agent)]
[Tags("Agent: triage")]
public sealed class TriageAgentFunctions(CrisisService crises, ContentStore contents, TriageStore store, CannedResponseStore responses)
{
    [Function("TriageMessage")]
    [JsonBody(typeof(TriageRequest))]
    public async Task<Results<Ok<TriageResult>, ValidationProblem, ProblemHttpResult>> Classify(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "agent/crises/{id}/triage")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var crisis = await crises.GetAsync(id, cancellationToken);
        if (crisis.Status == CrisisStatus.Archived)
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Crisis {id} is archived.");
        }

        var body = await JsonBody.ReadAsync<TriageRequest>(request, 32 * 1024, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = new Validation();
        validation.Text("text", input.Text, TriageRequest.MaxText);
        var language = validation.Language("language", input.Language);

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var rules = (await store.GetRulesAsync(id, cancellationToken))?.Document.Content.Rules ?? [];
        var matches = KeywordMatcher.Match(input.Text, language, rules);
        var tags = matches.Select(m => m.Tag).ToList();
        var suggestions = (await responses.ListAsync(id, cancellationToken))
            .Where(r => r.Status == ResponseStatus.Approved && r.Tags.Intersect(tags).Any())
            .Select(r => new Suggestion(r.Id, r.Name, r.Tags))
            .ToList();
        var need = rules.Where(r => tags.Contains(r.Tag) && r.Need is not null).Select(r => r.Need).FirstOrDefault();
        var channels = (await contents.GetPublishedAsync(id, cancellationToken))?.Document.Content.Channels ?? [];
        var channel = need is null ? null : channels.FirstOrDefault(c => c.Need == need) ?? channels.FirstOrDefault(c => c.Need == Need.General);
        if (tags.Count > 0)
        {
            await store.CountAsync(id, tags, cancellationToken);
        }

        return TypedResults.Ok(new TriageResult(tags, matches, suggestions,
            channel is null ? null : new RecommendedChannel(channel.Need, channel.Channel, channel.Contact, channel.Channel == input.Channel)));
    }
}
