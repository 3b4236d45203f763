using System.Diagnostics;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Crisis.Functions.Tests.Hostile;

/// <summary>
/// The hostile corpus against every route family: each case must answer a 4xx RFC 9457 problem (never 5xx, never
/// a success) and leave storage exactly as it was (every entity and blob, with its ETag, compared after each case).
/// </summary>
public class HostileInputTests(HostileFixture f, ITestOutputHelper output) : IClassFixture<HostileFixture>
{
    [Fact]
    public Task Malformed_bodies_on_every_body_route_answer_a_problem_and_change_nothing() =>
        RunAsync("malformed bodies", HostileCorpus.MalformedBodies(HostileCorpus.BodyRoutes(f)));

    [Fact]
    public Task Noncharacters_lone_surrogates_direction_overrides_and_oversized_texts_are_refused_in_every_text_field() =>
        RunAsync("hostile texts", HostileCorpus.BodyRoutes(f).SelectMany(HostileCorpus.HostileTextFields));

    [Fact]
    public Task Traversal_injection_and_malformed_ids_answer_a_problem_and_change_nothing() =>
        RunAsync("ids", HostileCorpus.Ids(f));

    [Fact]
    public Task Malformed_query_values_answer_a_problem() =>
        RunAsync("queries", HostileCorpus.Queries(f));

    [Fact]
    public Task Stale_preconditions_bad_idempotency_keys_forwarded_headers_and_wrong_credentials_change_nothing() =>
        RunAsync("headers", HostileCorpus.Headers(f));

    [Fact]
    public Task Tampered_expired_misused_and_respelled_tokens_are_refused_on_every_link_route() =>
        RunAsync("tokens", HostileCorpus.Tokens(f));

    [Fact]
    public Task Webhook_addresses_that_reach_private_networks_and_malformed_contacts_are_refused() =>
        RunAsync("urls and contacts", HostileCorpus.Urls(f));

    private async Task RunAsync(string family, IEnumerable<HostileCase> corpus)
    {
        var cases = corpus.ToList();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var before = await StorageFingerprint.OfAsync(f.App);
        foreach (var hostile in cases)
        {
            var failure = await CheckAsync(hostile);
            var after = await StorageFingerprint.OfAsync(f.App);
            if (after != before)
            {
                failure = (failure is null ? "" : failure + "; ") + "storage changed";
                before = after;
            }

            if (failure is not null)
            {
                failures.Add($"{hostile.Name}: {failure}");
            }
        }

        output.WriteLine($"{family}: {cases.Count} cases run, {failures.Count} failures, {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{family}: {failures.Count} of {cases.Count} cases failed:\n{string.Join('\n', failures)}");
        Assert.True(cases.Count >= 20, $"{family}: only {cases.Count} cases");
    }

    /// <summary>Why the answer to <paramref name="hostile"/> is not a 4xx problem with a stable type, or null when it is.</summary>
    private async Task<string?> CheckAsync(HostileCase hostile)
    {
        using var request = hostile.ToRequest();
        HttpResponseMessage response;
        try
        {
            response = await f.ClientFor(hostile.Caller).SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            return $"no answer ({e.Message})";
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var shown = body.Length > 300 ? body[..300] + "…" : body;
            if (!HostileCorpus.IsClientError(response.StatusCode))
            {
                return $"{status} {shown}";
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType;
            switch (hostile.Refusal)
            {
                case Refusal.ByServer:
                    return status == 400 && body.Length == 0 ? null : $"{status} from the app instead of the server's bare 400: {shown}";
                case Refusal.Page:
                    return mediaType == "text/html" ? null : $"{status} as {mediaType ?? "no type"} instead of a page: {shown}";
            }

            if (mediaType != "application/problem+json")
            {
                return $"{status} as {mediaType ?? "no type"}: {shown}";
            }

            try
            {
                var problem = JsonDocument.Parse(body).RootElement;
                var type = problem.GetProperty("type").GetString() ?? "";
                if (!type.StartsWith(Problems.TypePrefix, StringComparison.Ordinal) || problem.GetProperty("status").GetInt32() != status
                    || string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()))
                {
                    return $"{status} without a stable type, its status and a title: {shown}";
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return $"{status} with a problem body that is not one: {shown}";
            }

            return null;
        }
    }
}
