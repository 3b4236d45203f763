using System.Net;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>One app and one draft crisis for every test of the class: the tests only send bodies that change nothing.</summary>
public sealed class JsonBodyFixture : IAsyncLifetime
{
    public CrisisAppFactory App { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Agent { get; private set; } = null!;

    public HttpClient Public { get; private set; } = null!;

    public string Crisis { get; private set; } = "";

    public async Task InitializeAsync()
    {
        App = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["RateLimits:PublicWritesPerMinute"] = "1000",
            ["RateLimits:SubscribesPerMinute"] = "1000",
        });
        Admin = App.CreateAdminClient();
        Agent = App.CreateAgentClient();
        Public = App.CreateClient();
        Crisis = await CrisisFixtures.CreateAsync(Admin, CrisisFixtures.NewCrisis("en", "fa"));
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Agent.Dispose();
        Public.Dispose();
        await App.DisposeAsync();
    }
}

public class JsonBodyProblemTests(JsonBodyFixture f) : IClassFixture<JsonBodyFixture>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string[] Errors(JsonElement problem, string field)
    {
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}': {problem.GetRawText()}");
        return [.. messages.EnumerateArray().Select(m => m.GetString()!)];
    }

    private static void AssertNamesNoInternalType(JsonElement problem)
    {
        var text = problem.GetRawText();
        Assert.DoesNotContain("Crisis.Functions", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }

    private async Task AssertTouchpointAbsentAsync(string id) =>
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.GetAsync($"/api/admin/touchpoints/{id}")).StatusCode);

    [Fact]
    public async Task A_touchpoint_of_an_unknown_kind_names_the_property_and_lists_the_allowed_kinds()
    {
        var response = await f.Admin.PutAsync("/api/admin/touchpoints/body-kind", Json("""{"kind":"banner","name":"Banner","defaultLanguage":"en","normal":{"en":"Hello"}}"""));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        var kind = Assert.Single(Errors(problem, "kind"));
        Assert.Equal("must be one of: contact-page-notice, website-banner, email-footer, social-profile, help-article-notice, phone-message, other.", kind);
        Assert.Single(problem.GetProperty("errors").EnumerateObject());
        AssertNamesNoInternalType(problem);
        await AssertTouchpointAbsentAsync("body-kind");
    }

    [Fact]
    public async Task A_missing_required_property_is_named_with_what_it_expects()
    {
        var response = await f.Admin.PutAsync("/api/admin/touchpoints/body-missing", Json("""{"kind":"email-footer","defaultLanguage":"en"}"""));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        Assert.Equal(["is required: a string."], Errors(problem, "name"));
        Assert.Equal(["is required: an object."], Errors(problem, "normal"));
        AssertNamesNoInternalType(problem);
        await AssertTouchpointAbsentAsync("body-missing");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_says_what_was_expected_for_each_property()
    {
        // The request records hold no numbers; the same check covers a number where a string belongs,
        // a string where true/false belongs, and text that is not a date.
        var response = await f.Admin.PostAsync($"/api/admin/crises/{f.Crisis}/updates", Json("""{"text":{"en":42},"publish":"yes","nextUpdateExpectedAt":"tomorrow"}"""));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        Assert.Equal(["must be a string."], Errors(problem, "text.en"));
        Assert.Equal(["must be true or false."], Errors(problem, "publish"));
        Assert.Equal(["must be a date and time in ISO 8601 form, e.g. \"2026-12-01T12:00:00Z\"."], Errors(problem, "nextUpdateExpectedAt"));
        AssertNamesNoInternalType(problem);
        var updates = await (await f.Admin.GetAsync($"/api/admin/crises/{f.Crisis}/updates")).ReadJsonAsync();
        Assert.Empty(updates.GetProperty("updates").EnumerateArray());
    }

    [Fact]
    public async Task An_error_inside_a_list_names_the_item_by_its_index()
    {
        var rules = """{"rules":[{"tag":"a","keywords":{"en":["x"]}},{"tag":"b","keywords":{"en":["y"]}},{"tag":"c","keywords":{"en":["z"]},"need":"urgent"}]}""";
        var problem = await (await f.Admin.PutAsync($"/api/admin/crises/{f.Crisis}/triage-rules", Json(rules))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);

        var need = Assert.Single(Errors(problem, "rules[2].need"));
        Assert.StartsWith("must be one of: technical, delivery", need, StringComparison.Ordinal);
        AssertNamesNoInternalType(problem);
        var saved = await (await f.Admin.GetAsync($"/api/admin/crises/{f.Crisis}/triage-rules")).ReadJsonAsync();
        Assert.Equal(0, saved.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_value_of_the_right_kind_that_the_serializer_still_refuses_is_named_without_its_message()
    {
        // "weekly" is a string, as a duration is, but not one the serializer can read.
        var body = """{"ownerId":"someone","topic":"refunds","dueAt":"2026-12-02T09:00:00Z","cadence":"weekly"}""";
        var problem = await (await f.Admin.PostAsync($"/api/admin/crises/{f.Crisis}/expected-updates", Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);

        Assert.Equal(["is not a valid value here."], Errors(problem, "cadence"));
        AssertNamesNoInternalType(problem);
        var owed = await (await f.Admin.GetAsync($"/api/admin/crises/{f.Crisis}/expected-updates")).ReadJsonAsync();
        Assert.Empty(owed.GetProperty("expectedUpdates").EnumerateArray());
    }

    [Fact]
    public async Task An_unknown_property_is_named_with_the_properties_there_are()
    {
        var problem = await (await f.Agent.PostAsync($"/api/agent/crises/{f.Crisis}/triage", Json("""{"text":"Where is my parcel?","chanel":"sms"}""")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);

        Assert.Equal(["is not a property of this request; the properties are: text, language, channel."], Errors(problem, "chanel"));
        AssertNamesNoInternalType(problem);
    }

    [Fact]
    public async Task Malformed_json_says_at_which_line_and_byte_it_breaks_off()
    {
        var response = await f.Admin.PutAsync("/api/admin/touchpoints/body-malformed", Json("{\n  \"name\": ,\n  \"kind\": \"other\"\n}"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("The body is not valid JSON at line 2, byte 11: ", detail, StringComparison.Ordinal);
        AssertNamesNoInternalType(problem);
        await AssertTouchpointAbsentAsync("body-malformed");
    }

    [Fact]
    public async Task No_route_that_reads_a_json_body_names_an_internal_type_in_its_problems()
    {
        string[] bodies = ["""{"unknownProperty":1}""", """{"text":{"en":[1]},"token":7,"kind":"none","checklist":[]}""", "{\"a\":", "[1]"];
        var unreached = new List<string>();
        foreach (var function in FunctionCatalog.Http.Values.Where(fn => fn.Body is JsonBodyAttribute))
        {
            var client = function.Policy switch
            {
                Access.Policies.Admin => f.Admin,
                Access.Policies.Agent => f.Agent,
                _ => f.Public,
            };
            var path = "/api/" + function.Route.Replace("{id}", f.Crisis, StringComparison.Ordinal);
            path = System.Text.RegularExpressions.Regex.Replace(path, "\\{[A-Za-z]+\\}", "body-check");
            var answered = 0;
            foreach (var body in bodies)
            {
                using var request = new HttpRequestMessage(new HttpMethod(function.Methods.Single()), path) { Content = Json(body) };
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode is >= 400 and < 500, $"{function.Name} answered {(int)response.StatusCode} to {body}: {text}");
                Assert.DoesNotContain("Crisis.Functions", text, StringComparison.Ordinal);
                Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
                if (response.StatusCode == HttpStatusCode.BadRequest && text.Contains(Problems.InvalidJson, StringComparison.Ordinal))
                {
                    answered++;
                }
            }

            if (answered < bodies.Length)
            {
                unreached.Add(function.Name);
            }
        }

        // Routes read the body before they look up what the path names, except these (their ids do not exist here).
        Assert.Equal(["SaveTouchpointOverride", "UpdateStakeholder"], unreached);
    }

    [Theory]
    [InlineData("/api/admin/stakeholders", """{"name":"N","role":"expert","language":"en","timeZone":"UTC","email":"n@example.org","areas":[null]}""", "areas[0]")]
    [InlineData("/api/admin/crises", """{"title":{"en":"T"},"summary":{"en":"S"},"severity":"major","defaultLanguage":"en","languages":["en",null]}""", "languages[1]")]
    [InlineData("/api/admin/crises", """{"title":{"en":null},"summary":{"en":"S"},"severity":"major","defaultLanguage":"en","languages":["en"]}""", "title.en")]
    [InlineData("/api/subscriptions", """{"email":"n@example.org","topics":[null]}""", "topics[0]")]
    public async Task A_null_item_in_a_list_or_map_is_refused_naming_it_and_creates_nothing(string path, string body, string field)
    {
        var client = path.StartsWith("/api/admin", StringComparison.Ordinal) ? f.Admin : f.Public;
        var before = await StorageDump.TextAsync(f.App);

        var response = await client.PostAsync(path, Json(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var errors), problem.ToString());
        Assert.Contains("null", errors[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await StorageDump.TextAsync(f.App));
    }

    [Fact]
    public async Task A_null_value_where_a_map_declares_it_nullable_passes_the_contract_and_reaches_validation()
    {
        var response = await f.Admin.PatchAsync($"/api/admin/crises/{f.Crisis}", Json("""{"summary":{"en":null}}"""));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("summary", out _), problem.ToString());
    }
}

/// <summary>Bodies that never arrive whole, sent on a raw connection as a failing or hostile client would.</summary>
public class IncompleteBodyTests(JsonBodyFixture f) : IClassFixture<JsonBodyFixture>
{
    [Fact]
    public async Task A_body_cut_short_is_never_answered_with_a_server_error_and_changes_nothing()
    {
        var before = await StorageDump.TextAsync(f.App);

        // The client closes its side after part of the body: it can never complete.
        AssertNeverAServerError(await SendPartOfABodyAsync(closeAfterwards: true, TimeSpan.FromSeconds(30)));

        Assert.Equal(before, await StorageDump.TextAsync(f.App));
    }

    [Fact]
    public async Task A_body_that_stops_arriving_is_never_answered_with_a_server_error_and_changes_nothing()
    {
        var before = await StorageDump.TextAsync(f.App);

        // Nothing more is sent: the server gives up on the body (Kestrel's minimum data rate).
        AssertNeverAServerError(await SendPartOfABodyAsync(closeAfterwards: false, TimeSpan.FromSeconds(60)));

        Assert.Equal(before, await StorageDump.TextAsync(f.App));
    }

    /// <summary>Sends a question's head and the start of its 500-byte body on a raw connection; the status line of the answer, if any.</summary>
    private async Task<string?> SendPartOfABodyAsync(bool closeAfterwards, TimeSpan timeout)
    {
        var address = f.Public.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var connection = closeAfterwards ? "Connection: close\r\n" : "";
        var head = $"POST /api/crises/{f.Crisis}/questions HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n{connection}\r\n{{\"text\":\"Will my";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        if (closeAfterwards)
        {
            tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }

        return await StatusLineAsync(stream, timeout);
    }

    /// <summary>The server may close a connection whose body never completes without answering it; an answer is never a 5xx.</summary>
    private static void AssertNeverAServerError(string? statusLine)
    {
        if (statusLine is not null)
        {
            Assert.InRange(int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), 400, 499);
        }
    }

    /// <summary>The response's status line, or null when the server closed or reset the connection without answering.</summary>
    private static async Task<string?> StatusLineAsync(Stream stream, TimeSpan timeout)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            return await reader.ReadLineAsync().WaitAsync(timeout);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
