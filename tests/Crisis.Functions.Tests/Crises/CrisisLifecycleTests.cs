using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

public class CrisisLifecycleTests : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        _admin = _app.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_new_crisis_is_a_draft_with_a_readable_id_and_a_version_etag()
    {
        var response = await _admin.PostAsJsonAsync("/api/admin/crises", CrisisFixtures.NewCrisis("en", "fa"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var crisis = await response.ReadJsonAsync();
        var id = crisis.GetProperty("id").GetString()!;
        Assert.StartsWith("network-outage-", id, StringComparison.Ordinal);
        Assert.Equal("draft", crisis.GetProperty("status").GetString());
        Assert.Equal($"/api/admin/crises/{id}", response.Headers.Location!.ToString());
        Assert.Equal("\"v1\"", response.Headers.ETag!.ToString());

        var read = await _admin.GetAsync($"/api/admin/crises/{id}");
        Assert.Equal("\"v1\"", read.Headers.ETag!.ToString());
        Assert.Equal("قطعی شبکه", (await read.ReadJsonAsync()).GetProperty("title").GetProperty("fa").GetString());
    }

    [Fact]
    public async Task Draft_becomes_active_then_ended_then_archived_and_each_step_is_audited()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));

        Assert.Equal("active", (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/activate")).GetProperty("status").GetString());
        Assert.Equal("ended", (await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/end")).GetProperty("status").GetString());
        var archived = await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/archive");

        Assert.Equal("archived", archived.GetProperty("status").GetString());
        Assert.Equal(4, archived.GetProperty("version").GetInt32());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, archived.GetProperty("activatedAt").ValueKind);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, archived.GetProperty("endedAt").ValueKind);
        Assert.Equal(["crisis.archive", "crisis.end", "crisis.activate", "crisis.create"], await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Theory]
    [InlineData(new string[0], "end")]
    [InlineData(new string[0], "archive")]
    [InlineData(new[] { "activate" }, "activate")]
    [InlineData(new[] { "activate" }, "archive")]
    [InlineData(new[] { "activate", "end" }, "activate")]
    [InlineData(new[] { "activate", "end" }, "end")]
    [InlineData(new[] { "activate", "end", "archive" }, "activate")]
    [InlineData(new[] { "activate", "end", "archive" }, "archive")]
    public async Task Illegal_transitions_are_refused_with_409_and_change_nothing(string[] before, string illegal)
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        foreach (var step in before)
        {
            await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/{step}");
        }

        var auditBefore = await CrisisFixtures.AuditActionsAsync(_admin, id);
        var crisisBefore = await (await _admin.GetAsync($"/api/admin/crises/{id}")).Content.ReadAsStringAsync();

        var response = await _admin.PostAsync($"/api/admin/crises/{id}/{illegal}", null);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Conflict, before.Length == 3 ? Problems.Conflict : Problems.IllegalTransition);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(crisisBefore, await (await _admin.GetAsync($"/api/admin/crises/{id}")).Content.ReadAsStringAsync());
        Assert.Equal(auditBefore, await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Fact]
    public async Task Edits_with_a_stale_if_match_are_refused_and_change_nothing()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var first = new HttpRequestMessage(HttpMethod.Patch, $"/api/admin/crises/{id}") { Content = JsonContent.Create(new { severity = "critical" }) };
        first.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"v1\""));
        var edited = await (await _admin.SendAsync(first)).ReadJsonAsync();
        Assert.Equal("critical", edited.GetProperty("severity").GetString());
        Assert.Equal(2, edited.GetProperty("version").GetInt32());

        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/admin/crises/{id}") { Content = JsonContent.Create(new { severity = "minor" }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"v1\""));
        await (await _admin.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);

        var current = await (await _admin.GetAsync($"/api/admin/crises/{id}")).ReadJsonAsync();
        Assert.Equal("critical", current.GetProperty("severity").GetString());
        Assert.Equal(["crisis.edit", "crisis.create"], await CrisisFixtures.AuditActionsAsync(_admin, id));
    }

    [Fact]
    public async Task An_edit_is_audited_with_who_and_the_state_before_and_after()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        await _admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { title = new { en = "Fibre cut in the south" } });

        var audit = await (await _admin.GetAsync($"/api/admin/crises/{id}/audit")).ReadJsonAsync();
        var entry = audit.GetProperty("entries")[0];
        Assert.Equal("crisis.edit", entry.GetProperty("action").GetString());
        Assert.Equal(CrisisAppFactory.AdminName, entry.GetProperty("actor").GetString());
        Assert.Contains("Network outage", entry.GetProperty("before").GetString(), StringComparison.Ordinal);
        Assert.Contains("Fibre cut in the south", entry.GetProperty("after").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_log_pages_newest_first_through_continuation_tokens()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        foreach (var severity in new[] { "minor", "critical", "major" })
        {
            await _admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { severity });
        }

        var actions = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var url = $"/api/admin/crises/{id}/audit?pageSize=3" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var page = await (await _admin.GetAsync(url)).ReadJsonAsync();
            actions.AddRange(page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()!));
            continuation = page.GetProperty("continuationToken").GetString();
            pages++;
        }
        while (continuation is not null);

        Assert.Equal(["crisis.edit", "crisis.edit", "crisis.edit", "crisis.create"], actions);
        Assert.Equal(2, pages);

        await (await _admin.GetAsync($"/api/admin/crises/{id}/audit?continuation=forged")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await (await _admin.GetAsync($"/api/admin/crises/{id}/audit?pageSize=0")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }

    [Fact]
    public async Task Archived_crises_cannot_be_edited()
    {
        var id = await CrisisFixtures.CreateAsync(_admin, CrisisFixtures.NewCrisis("en"));
        foreach (var step in new[] { "activate", "end", "archive" })
        {
            await CrisisFixtures.PostAsync(_admin, $"/api/admin/crises/{id}/{step}");
        }

        await (await _admin.PatchAsJsonAsync($"/api/admin/crises/{id}", new { severity = "minor" })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
        await (await _admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", new { })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
    }

    [Fact]
    public async Task Several_crises_can_be_active_at_once()
    {
        var first = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        var second = await CrisisFixtures.CreateActiveAsync(_admin, CrisisFixtures.NewCrisis("en"));
        using var anonymous = _app.CreateClient();

        var list = await (await anonymous.GetAsync("/api/crises")).ReadJsonAsync();

        var ids = list.GetProperty("crises").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Contains(first, ids);
        Assert.Contains(second, ids);
    }

    [Fact]
    public async Task Unknown_crises_are_404_and_malformed_ids_400()
    {
        await (await _admin.GetAsync("/api/admin/crises/no-such-crisis")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _admin.PostAsync("/api/admin/crises/no-such-crisis/activate", null)).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        foreach (var id in new[] { "it's", "a%2Fb", "UPPER", "a%22b", new string('a', 65), "a%0Ab", "abc%0A" })
        {
            await (await _admin.GetAsync($"/api/admin/crises/{id}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        }
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_problem_and_creates_nothing()
    {
        var cases = new (string Body, HttpStatusCode Status, string Type)[]
        {
            ("{not json", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("[]", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":"just a string","summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":5,"defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":"apocalyptic","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"],"owner":"me"}""", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":{"en":"t"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.InvalidJson),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"xx","languages":["xx"]}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"fr","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ("""{"title":{"de":"t"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ("""{"title":{"en":"line\nbreak"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ("""{"title":{"en":"t"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"],"publicPageUrl":"javascript:alert(1)"}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ($$"""{"title":{"en":"{{new string('x', 201)}}"},"summary":{"en":"s"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.BadRequest, Problems.ValidationFailed),
            ($$"""{"title":{"en":"t"},"summary":{"en":"{{new string('x', 300_000)}}"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", HttpStatusCode.RequestEntityTooLarge, Problems.PayloadTooLarge),
        };

        foreach (var (body, status, type) in cases)
        {
            var response = await _admin.PostAsync("/api/admin/crises", new StringContent(body, Encoding.UTF8, "application/json"));
            await response.AssertProblemAsync(status, type);
        }

        var wrongMediaType = await _admin.PostAsync("/api/admin/crises", new StringContent("title=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await wrongMediaType.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, Problems.UnsupportedMediaType);

        var list = await (await _admin.GetAsync("/api/admin/crises")).ReadJsonAsync();
        Assert.Empty(list.GetProperty("crises").EnumerateArray());
    }

    [Fact]
    public async Task Validation_problems_name_every_offending_field()
    {
        var crisis = CrisisFixtures.NewCrisis("en");
        crisis["languages"] = new JsonArray("en", "en", "klingon");
        var response = await _admin.PostAsJsonAsync("/api/admin/crises", crisis);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        var errors = problem.GetProperty("errors").GetProperty("languages").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.Contains("klingon", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("repeat", StringComparison.Ordinal));
    }
}
