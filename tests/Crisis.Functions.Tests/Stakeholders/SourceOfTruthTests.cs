using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

public class SourceOfTruthTests : IAsyncLifetime
{
    private ReminderFixture _f = null!;

    public async Task InitializeAsync() => _f = await ReminderFixture.StartAsync();

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    private static object Document(string impact) => new
    {
        impact,
        decisionMakers = new[] { "Dana (COO)" },
        decisions = new[] { new { text = "Refunds extended to 60 days", date = "2026-11-23", decidedBy = "Dana" } },
        approvedWording = new[] { new { key = "delay", text = new { en = "Your order is safe and will arrive late.", fa = "سفارش شما در امان است." } } },
    };

    [Fact]
    public async Task Every_save_is_a_new_immutable_version_that_agents_can_read()
    {
        var first = await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", Document("Two depots closed."));
        Assert.Equal("\"s1\"", first.Headers.ETag!.ToString());
        var second = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{_f.CrisisId}/source-of-truth") { Content = JsonContent.Create(Document("Three depots closed.")) };
        second.Headers.TryAddWithoutValidation("If-Match", "\"s1\"");
        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.SendAsync(second)).StatusCode);

        using var agent = _f.App.CreateAgentClient();
        var current = await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth")).ReadJsonAsync();
        Assert.Equal(2, current.GetProperty("version").GetInt32());
        Assert.Equal("Three depots closed.", current.GetProperty("content").GetProperty("impact").GetString());
        Assert.Equal([1, 2], (await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions")).ReadJsonAsync()).GetProperty("versions").EnumerateArray().Select(v => v.GetInt32()));
        var v1 = await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions/1")).ReadJsonAsync();
        Assert.Equal("Two depots closed.", v1.GetProperty("content").GetProperty("impact").GetString());
        Assert.Equal(CrisisAppFactory.AdminName, v1.GetProperty("savedBy").GetString());

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{_f.CrisisId}/source-of-truth") { Content = JsonContent.Create(Document("Overwrite")) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"s1\"");
        await (await _f.Admin.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);
        await (await agent.PutAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", Document("Agent edit"))).AssertProblemAsync(HttpStatusCode.Forbidden, Problems.Forbidden);
        await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions/3")).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions/0")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidId);
        Assert.Equal("Two depots closed.", (await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions/1")).ReadJsonAsync()).GetProperty("content").GetProperty("impact").GetString());
        Assert.Contains("source-of-truth.save", await CrisisFixtures.AuditActionsAsync(_f.Admin, _f.CrisisId));
    }

    [Fact]
    public async Task Update_expectations_are_derived_from_the_expected_updates()
    {
        var owner = await _f.AddStakeholderAsync("olivia", "expert");
        await _f.ExpectAsync(owner, TimeSpan.FromHours(2), cadence: "04:00:00");

        using var agent = _f.App.CreateAgentClient();
        var view = await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth")).ReadJsonAsync();

        var expectation = Assert.Single(view.GetProperty("updateExpectations").EnumerateArray());
        Assert.Equal("olivia", expectation.GetProperty("ownerName").GetString());
        Assert.Equal(ReminderFixture.Start.AddHours(2), expectation.GetProperty("nextDueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Staff_subscribers_get_one_message_per_saved_version()
    {
        await (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth/subscribers", new { name = "Support lead", webhookUrl = _f.Receiver.Url("staff") })).ReadJsonAsync();
        await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", Document("v1"))).ReadJsonAsync();
        await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", Document("v2"))).ReadJsonAsync();

        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var notices = _f.DeliveredTo("staff");
        Assert.Equal([1, 2], notices.Select(n => JsonDocument.Parse(n.Body).RootElement.GetProperty("version").GetInt32()).Order());
        Assert.All(notices, n => Assert.True(n.SignatureValid));
    }

    [Fact]
    public async Task Invalid_documents_are_refused_and_no_version_is_written()
    {
        var bad = new object[]
        {
            new { impact = new string('x', 10_001), decisionMakers = Array.Empty<string>(), decisions = Array.Empty<object>(), approvedWording = Array.Empty<object>() },
            new { impact = "", decisionMakers = Array.Empty<string>(), decisions = Array.Empty<object>(), approvedWording = new[] { new { key = "k", text = new { de = "nein" } } } },
        };
        foreach (var body in bad)
        {
            await (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", body)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        }

        await (await _f.Admin.PutAsync($"/api/admin/crises/{_f.CrisisId}/source-of-truth", new StringContent("""{"impact":1}""", System.Text.Encoding.UTF8, "application/json")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        using var agent = _f.App.CreateAgentClient();
        Assert.Empty((await (await agent.GetAsync($"/api/agent/crises/{_f.CrisisId}/source-of-truth/versions")).ReadJsonAsync()).GetProperty("versions").EnumerateArray());
    }
}
