using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;
using Crisis.Functions.Tests.Stakeholders;

namespace Crisis.Functions.Tests.CannedResponses;

public sealed class CannedResponseTests : IAsyncLifetime
{
    private static readonly string[] OneSnippet = ["Changed."];
    private ReminderFixture _f = null!;
    private HttpClient _agent = null!;

    public async Task InitializeAsync()
    {
        _f = await ReminderFixture.StartAsync(new Dictionary<string, string?> { ["Expiry:GracePeriod"] = "02:00:00" });
        _agent = _f.App.CreateAgentClient();
    }

    public async Task DisposeAsync()
    {
        _agent.Dispose();
        await _f.DisposeAsync();
    }

    private string Base => $"/api/admin/crises/{_f.CrisisId}/canned-responses";

    private string AgentBase => $"/api/agent/crises/{_f.CrisisId}/canned-responses";

    private async Task<string> CreateAsync(string name = "COVID refund", object? tags = null)
    {
        var created = await _f.Admin.PostAsJsonAsync(Base, new
        {
            name,
            snippets = new Dictionary<string, string[]>
            {
                ["en"] = ["We are sorry your trip was cancelled.", "You can ask for a full refund within 30 days."],
                ["fa"] = ["متأسفیم که سفر شما لغو شد.", "می‌توانید تا ۳۰ روز درخواست بازپرداخت کامل کنید."],
            },
            tags,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Agents_see_a_response_only_once_an_expert_approved_it_with_the_checklist_and_every_rendering_ends_with_the_page_link()
    {
        var expert = await _f.AddStakeholderAsync("maryam", "expert");
        var communicator = await _f.AddStakeholderAsync("tom", "communicator");
        var id = await CreateAsync();

        await (await _agent.GetAsync($"{AgentBase}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        Assert.Empty((await (await _agent.GetAsync(AgentBase)).ReadJsonAsync()).GetProperty("responses").EnumerateArray());
        await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked, stakeholderId = expert })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.IllegalTransition);

        Assert.Equal("in-review", (await (await _f.Admin.PostAsync($"{Base}/{id}/submit", null)).ReadJsonAsync()).GetProperty("status").GetString());
        await (await _agent.GetAsync($"{AgentBase}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked, stakeholderId = communicator })).AssertProblemAsync(HttpStatusCode.Forbidden, Problems.Forbidden);
        await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked, stakeholderId = "nobody" })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        var incomplete = await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = new { empathy = true, clarity = true, consistency = true, realism = false, helpfulness = true }, stakeholderId = expert }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(incomplete.GetProperty("errors").TryGetProperty("checklist.realism", out _));
        await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { stakeholderId = expert })).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        Assert.Equal("in-review", (await (await _f.Admin.GetAsync($"{Base}/{id}")).ReadJsonAsync()).GetProperty("status").GetString());
        await (await _agent.GetAsync($"{AgentBase}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);

        var approved = await (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked, stakeholderId = expert, notes = "Matches the refund policy." })).ReadJsonAsync();
        Assert.Equal("approved", approved.GetProperty("status").GetString());
        Assert.Equal("stakeholder:" + expert, approved.GetProperty("approval").GetProperty("approvedBy").GetString());
        Assert.True(approved.GetProperty("approval").GetProperty("checklist").GetProperty("realism").GetBoolean());

        var found = (await (await _agent.GetAsync(AgentBase + "?q=REFUND")).ReadJsonAsync()).GetProperty("responses");
        Assert.Equal(id, Assert.Single(found.EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await (await _agent.GetAsync(AgentBase + "?q=delivery")).ReadJsonAsync()).GetProperty("responses").EnumerateArray());

        var persian = await (await _agent.GetAsync($"{AgentBase}/{id}?lang=fa")).ReadJsonAsync();
        Assert.Equal("fa", persian.GetProperty("language").GetString());
        Assert.Equal("rtl", persian.GetProperty("dir").GetString());
        Assert.Equal($"متأسفیم که سفر شما لغو شد.\n\nمی‌توانید تا ۳۰ روز درخواست بازپرداخت کامل کنید.\n\nhttp://localhost:7071/api/c/{_f.CrisisId}?lang=fa", persian.GetProperty("text").GetString());
        var fallback = await (await _agent.GetAsync($"{AgentBase}/{id}?lang=cy")).ReadJsonAsync();
        Assert.Equal("en", fallback.GetProperty("language").GetString());
        Assert.EndsWith($"?lang=en", fallback.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, fallback.GetProperty("uses").GetInt32());
        Assert.Equal(2, (await (await _f.Admin.GetAsync($"{Base}/{id}")).ReadJsonAsync()).GetProperty("uses").GetInt32());

        await _f.Admin.PutAsJsonAsync($"{Base}/{id}", new { name = "COVID refund", snippets = new { en = OneSnippet } });
        await (await _agent.GetAsync($"{AgentBase}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        var actions = await CrisisFixtures.AuditActionsAsync(_f.Admin, _f.CrisisId);
        Assert.Contains("canned-response.approve", actions);
        Assert.Contains("canned-response.edit", actions);
        await (await _agent.PostAsJsonAsync(Base, new { name = "x", snippets = new { en = OneSnippet } })).AssertProblemAsync(HttpStatusCode.Forbidden, Problems.Forbidden);
    }

    [Fact]
    public async Task A_response_without_the_crisis_new_default_language_renders_in_its_own_language_instead_of_failing()
    {
        var expert = await _f.AddStakeholderAsync("ines", "expert");
        var created = await _f.Admin.PostAsJsonAsync(Base, new { name = "English only", snippets = new Dictionary<string, string[]> { ["en"] = ["We are on it."] } });
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        await _f.Admin.PostAsync($"{Base}/{id}/submit", null);
        (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked, stakeholderId = expert })).EnsureSuccessStatusCode();
        var crisis = await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}");
        using var change = new HttpRequestMessage(HttpMethod.Patch, $"/api/admin/crises/{_f.CrisisId}") { Content = JsonContent.Create(new { defaultLanguage = "fa" }) };
        change.Headers.IfMatch.Add(crisis.Headers.ETag!);
        (await _f.Admin.SendAsync(change)).EnsureSuccessStatusCode();

        var rendered = await (await _agent.GetAsync($"{AgentBase}/{id}")).ReadJsonAsync();
        var asked = await (await _agent.GetAsync($"{AgentBase}/{id}?lang=fa")).ReadJsonAsync();

        Assert.Equal("en", rendered.GetProperty("language").GetString());
        Assert.StartsWith("We are on it.", rendered.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("en", asked.GetProperty("language").GetString());
    }

    [Fact]
    public async Task Every_agent_render_counts_as_a_use_and_an_admin_preview_does_not()
    {
        var id = await CreateAsync();
        await _f.Admin.PostAsync($"{Base}/{id}/submit", null);
        (await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked })).EnsureSuccessStatusCode();

        var preview = await (await _f.Admin.GetAsync($"{AgentBase}/{id}?lang=en")).ReadJsonAsync();
        Assert.StartsWith("We are sorry your trip was cancelled.", preview.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, preview.GetProperty("uses").GetInt32());
        Assert.Equal(0, (await (await _f.Admin.GetAsync($"{AgentBase}/{id}?lang=fa")).ReadJsonAsync()).GetProperty("uses").GetInt32());

        Assert.Equal(1, (await (await _agent.GetAsync($"{AgentBase}/{id}?lang=en")).ReadJsonAsync()).GetProperty("uses").GetInt32());
        Assert.Equal(2, (await (await _agent.GetAsync($"{AgentBase}/{id}?lang=fa")).ReadJsonAsync()).GetProperty("uses").GetInt32());
        Assert.Equal(2, (await (await _f.Admin.GetAsync($"{AgentBase}/{id}")).ReadJsonAsync()).GetProperty("uses").GetInt32());

        Assert.Equal(2, (await (await _f.Admin.GetAsync($"{Base}/{id}")).ReadJsonAsync()).GetProperty("uses").GetInt32());
        Assert.Equal(2, Assert.Single((await (await _agent.GetAsync(AgentBase)).ReadJsonAsync()).GetProperty("responses").EnumerateArray()).GetProperty("uses").GetInt32());
        var usage = Assert.Single((await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/review")).ReadJsonAsync()).GetProperty("cannedResponses").EnumerateArray());
        Assert.Equal((id, 2), (usage.GetProperty("id").GetString(), usage.GetProperty("uses").GetInt32()));
    }

    [Theory]
    [InlineData("""{"name":"x","snippets":{"fa":["a"]}}""", "snippets")]
    [InlineData("""{"name":"x","snippets":{"en":["a"],"de":["b"]}}""", "snippets.de")]
    [InlineData("""{"name":"x","snippets":{"en":[]}}""", "snippets.en")]
    [InlineData("""{"name":"x","snippets":{"en":["a","a","a","a","a","a","a","a","a","a","a"]}}""", "snippets.en")]
    [InlineData("""{"name":"a\u0000b","snippets":{"en":["a"]}}""", "name")]
    [InlineData("""{"name":"","snippets":{"en":["a"]}}""", "name")]
    [InlineData("""{"name":"x","snippets":{"en":["a"]},"tags":["Not A Tag"]}""", "tags[0]")]
    public async Task Invalid_responses_are_refused_and_nothing_is_stored(string body, string field)
    {
        var response = await _f.Admin.PostAsync(Base, new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {problem}");
        Assert.Empty((await (await _f.Admin.GetAsync(Base)).ReadJsonAsync()).GetProperty("responses").EnumerateArray());
    }

    [Fact]
    public async Task Malformed_oversized_and_unknown_are_refused()
    {
        await (await _f.Admin.PostAsync(Base, new StringContent("{\"name\":", Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        await (await _f.Admin.PostAsync(Base, new StringContent("""{"name":5,"snippets":{}}""", Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        var huge = JsonSerializer.Serialize(new { name = "x", snippets = new { en = new[] { new string('a', 70_000) } } });
        await (await _f.Admin.PostAsync(Base, new StringContent(huge, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, Problems.PayloadTooLarge);
        await (await _f.Admin.GetAsync($"{Base}/nope")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _f.Admin.PostAsync($"{Base}/nope/submit", null)).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await _agent.GetAsync($"{AgentBase}/x'or'1'eq'1")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        await (await _agent.GetAsync($"{AgentBase}?q={new string('q', 300)}")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await (await _agent.GetAsync($"{AgentBase}/nope?lang=zz_notreal")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
    }

    [Fact]
    public async Task The_expiry_timer_archives_a_crisis_responses_once_hiding_them_from_agents_and_keeping_them()
    {
        var id = await CreateAsync();
        await _f.Admin.PostAsync($"{Base}/{id}/submit", null);
        await _f.Admin.PostAsJsonAsync($"{Base}/{id}/approve", new { checklist = CannedResponseFixtures.AllChecked });
        (await _agent.GetAsync($"{AgentBase}/{id}")).EnsureSuccessStatusCode();

        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{_f.CrisisId}/end");
        (await _agent.GetAsync($"{AgentBase}/{id}")).EnsureSuccessStatusCode();
        _f.Clock.Advance(TimeSpan.FromHours(3));
        await Task.WhenAll(RunExpiryAsync(), RunExpiryAsync());
        await RunExpiryAsync();

        var kept = await (await _f.Admin.GetAsync($"{Base}/{id}")).ReadJsonAsync();
        Assert.Equal("archived", kept.GetProperty("status").GetString());
        Assert.Equal(CrisisAppFactory.AdminName, kept.GetProperty("approval").GetProperty("approvedBy").GetString());
        await (await _agent.GetAsync($"{AgentBase}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        Assert.Empty((await (await _agent.GetAsync(AgentBase)).ReadJsonAsync()).GetProperty("responses").EnumerateArray());
        var actions = await CrisisFixtures.AuditActionsAsync(_f.Admin, _f.CrisisId);
        Assert.Single(actions, a => a == "canned-response.archive");
        await (await _f.Admin.PostAsJsonAsync(Base, new { name = "late", snippets = new { en = OneSnippet } })).AssertProblemAsync(HttpStatusCode.Conflict, Problems.Conflict);
    }

    private Task<Host.TimerRun> RunExpiryAsync() =>
        _f.Client.RunTimerAsync("CrisisExpiry");
}
