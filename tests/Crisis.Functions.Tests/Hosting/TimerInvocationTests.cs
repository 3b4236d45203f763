using System.Net;
using System.Net.Http.Json;
using System.Text;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>Timer functions driven exactly as the Functions host drives a custom handler: POST /{FunctionName}.</summary>
public class TimerInvocationTests : IAsyncLifetime
{
    private const string HostBody = """
        {
          "Data": {
            "timer": {
              "Schedule": { "AdjustForDST": true },
              "ScheduleStatus": { "Last": "2026-11-22T10:00:00+00:00", "Next": "2026-11-22T10:00:30+00:00", "LastUpdated": "2026-11-22T10:00:00+00:00" },
              "IsPastDue": false
            }
          },
          "Metadata": { "sys": { "MethodName": "Heartbeat", "UtcNow": "2026-11-22T10:00:30.0123Z", "RandGuid": "5c7a5b45-2f7b-4e38-9d38-0d1c7a0d6a11" } }
        }
        """;

    private CrisisAppFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Host_invocation_runs_the_timer_and_answers_the_custom_handler_contract()
    {
        var response = await _client.PostAsync("/Heartbeat", new StringContent(HostBody, Encoding.UTF8, "application/json"));

        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], body.EnumerateObject().Select(p => p.Name));
        Assert.Empty(body.GetProperty("Outputs").EnumerateObject());
        Assert.Contains("heartbeat recorded", Assert.Single(body.GetProperty("Logs").EnumerateArray()).GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("ReturnValue").ValueKind);

        var health = await (await _client.GetAsync("/api/health")).ReadJsonAsync();
        Assert.Equal(nameof(TimerTrigger.FunctionsHost), health.GetProperty("lastHeartbeatTrigger").GetString());
    }

    [Fact]
    public async Task Past_due_runs_and_a_missing_schedule_status_are_accepted()
    {
        const string pastDue = """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}},"Metadata":{}}""";
        var response = await _client.PostAsync("/Heartbeat", new StringContent(pastDue, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Timer_info_sent_as_a_json_string_is_accepted()
    {
        var body = new { Data = new { timer = """{"IsPastDue":false,"ScheduleStatus":null}""" }, Metadata = new { } };
        var response = await _client.PostAsJsonAsync("/Heartbeat", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json", Problems.InvalidJson)]
    [InlineData("", Problems.InvalidJson)]
    [InlineData("[1,2]", Problems.InvalidInvocation)]
    [InlineData("""{"Data":"timer"}""", Problems.InvalidInvocation)]
    [InlineData("""{"Data":{"timer":42}}""", Problems.InvalidInvocation)]
    [InlineData("""{"Data":{"timer":{"IsPastDue":"yes"}}}""", Problems.InvalidInvocation)]
    [InlineData("""{"Data":{"timer":{"ScheduleStatus":{"Last":"yesterday"}}}}""", Problems.InvalidInvocation)]
    [InlineData("""{"Data":{"timer":{"ScheduleStatus":[]}}}""", Problems.InvalidInvocation)]
    public async Task Malformed_invocations_are_refused_with_a_problem_and_run_nothing(string body, string problemType)
    {
        var response = await _client.PostAsync("/Heartbeat", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, problemType);
        var health = await (await _client.GetAsync("/api/health")).ReadJsonAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, health.GetProperty("lastHeartbeatAt").ValueKind);
    }

    [Fact]
    public async Task Oversized_invocations_are_refused()
    {
        var huge = "{\"Data\":{\"timer\":{\"Padding\":\"" + new string('x', 70_000) + "\"}}}";
        var response = await _client.PostAsync("/Heartbeat", new StringContent(huge, Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, Problems.PayloadTooLarge);
    }

    [Fact]
    public async Task Unknown_functions_are_not_found()
    {
        var response = await _client.PostAsync("/NoSuchTimer", new StringContent(HostBody, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_failing_run_answers_non_2xx_so_the_host_records_a_failure()
    {
        await using var broken = new CrisisAppFactory("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;");
        using var client = broken.CreateClient();

        var response = await client.PostAsync("/Heartbeat", new StringContent(HostBody, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.InternalServerError, Problems.TimerFailed);
    }

    [Fact]
    public async Task The_readiness_ping_on_the_root_answers()
    {
        var response = await _client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
