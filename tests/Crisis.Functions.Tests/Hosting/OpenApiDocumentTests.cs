using System.Text.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.SourceOfTruth;
using Crisis.Functions.Touchpoints;
using Crisis.Functions.Triage;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The OpenAPI document as a client generator reads it, served by one app for the whole class.</summary>
public sealed class OpenApiDocumentFixture : IAsyncLifetime
{
    private CrisisAppFactory _app = null!;

    public string Json { get; private set; } = "";

    public JsonElement Document { get; private set; }

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        using var client = _app.CreateClient();
        using var response = await client.GetAsync("/api/openapi/v1.json");
        Json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, Json);
        Document = JsonDocument.Parse(Json).RootElement.Clone();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();
}

public class OpenApiDocumentTests(OpenApiDocumentFixture fixture) : IClassFixture<OpenApiDocumentFixture>
{
    private JsonElement Paths => fixture.Document.GetProperty("paths");

    private JsonElement Schemas => fixture.Document.GetProperty("components").GetProperty("schemas");

    private JsonElement Operation(string function)
    {
        var declared = FunctionCatalog.Http[function];
        return Paths.GetProperty("/api/" + declared.Route).GetProperty(declared.Methods.Single().ToLowerInvariant());
    }

    private JsonElement Resolve(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference) ? Schemas.GetProperty(reference.GetString()!["#/components/schemas/".Length..]) : schema;

    private static IEnumerable<HttpFunction> WriteFunctions =>
        FunctionCatalog.Http.Values.Where(f => f.Methods.Any(HttpFunction.WriteMethods.Contains));

    [Fact]
    public async Task The_document_passes_the_swagger_parser_validator_and_a_broken_copy_does_not()
    {
        var valid = await NodeScript.RunAsync("validate-openapi.mjs", [], fixture.Json);
        Assert.True(valid.ExitCode == 0, valid.Error);
        Assert.Equal("valid", valid.Output.Trim());

        // The same document with one operation pointing at a schema that does not exist.
        var broken = JsonNode.Parse(fixture.Json)!;
        broken["paths"]!["/api/admin/touchpoints/{touchpointId}"]!["put"]!["requestBody"]!["content"]!["application/json"]!["schema"] =
            new JsonObject { ["$ref"] = "#/components/schemas/NoSuchSchema" };
        var invalid = await NodeScript.RunAsync("validate-openapi.mjs", [], broken.ToJsonString());
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("NoSuchSchema", invalid.Error, StringComparison.Ordinal);

        // And one whose response lacks its required description.
        var undescribed = JsonNode.Parse(fixture.Json)!;
        undescribed["paths"]!["/api/admin/crises"]!["post"]!["responses"]!["503"]!.AsObject().Remove("description");
        Assert.NotEqual(0, (await NodeScript.RunAsync("validate-openapi.mjs", [], undescribed.ToJsonString())).ExitCode);
    }

    [Fact]
    public void Every_write_operation_declares_its_json_body_or_is_marked_as_reading_none()
    {
        var writes = WriteFunctions.ToList();
        Assert.Equal(46, writes.Count);
        foreach (var function in writes)
        {
            var operation = Operation(function.Name);
            switch (function.Body)
            {
                case JsonBodyAttribute json:
                    Assert.True(operation.TryGetProperty("requestBody", out var body), $"{function.Name} declares no request body");
                    Assert.True(body.GetProperty("required").GetBoolean(), $"{function.Name}: the body must be required");
                    var schema = body.GetProperty("content").GetProperty(JsonBodyAttribute.ContentType).GetProperty("schema");
                    Assert.Equal("#/components/schemas/" + json.Type.Name, schema.GetProperty("$ref").GetString());
                    Assert.Equal("object", Resolve(schema).GetProperty("type").GetString());
                    Assert.True(Resolve(schema).GetProperty("properties").EnumerateObject().Any(), $"{function.Name}: {json.Type.Name} has no properties");
                    break;
                case FormBodyAttribute form:
                    var fields = operation.GetProperty("requestBody").GetProperty("content").GetProperty(FormBodyAttribute.ContentType).GetProperty("schema");
                    Assert.Equal(form.Value, fields.GetProperty("properties").GetProperty(form.Field).GetProperty("enum")[0].GetString());
                    break;
                case PageFormAttribute page:
                    var pageFields = operation.GetProperty("requestBody").GetProperty("content").GetProperty(FormBodyAttribute.ContentType).GetProperty("schema");
                    Assert.Equal([PageFormAttribute.GuardField], pageFields.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
                    Assert.Equal(page.Fields.Prepend(PageFormAttribute.GuardField), pageFields.GetProperty("properties").EnumerateObject().Select(p => p.Name));
                    break;
                case NoBodyAttribute:
                    Assert.False(operation.TryGetProperty("requestBody", out _), $"{function.Name} is marked as reading no body but declares one");
                    break;
                default:
                    Assert.Fail($"{function.Name} does not say what body it reads");
                    break;
            }
        }

        Assert.Equal(24, writes.Count(f => f.Body is JsonBodyAttribute));
    }

    [Fact]
    public void Request_schemas_give_enum_values_as_serialised_the_required_properties_and_declared_limits()
    {
        var touchpoint = Schemas.GetProperty("TouchpointRequest");
        var required = touchpoint.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Equal(["kind", "name", "defaultLanguage", "normal"], required);
        var kinds = Resolve(touchpoint.GetProperty("properties").GetProperty("kind")).GetProperty("enum").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Contains("contact-page-notice", kinds);
        Assert.Contains("email-footer", kinds);
        Assert.Equal("string", touchpoint.GetProperty("properties").GetProperty("normal").GetProperty("additionalProperties").GetProperty("type").GetString());

        // Optional properties (a default in the record) are not required.
        var subscribe = Schemas.GetProperty("SubscribeRequest");
        Assert.False(subscribe.TryGetProperty("required", out _));
        var triage = Schemas.GetProperty("TriageRequest");
        Assert.Equal(["text"], triage.GetProperty("required").EnumerateArray().Select(r => r.GetString()));

        // Limits declared once on the request records, where their validation reads them.
        Assert.Equal(TouchpointValidation.MaxName, touchpoint.GetProperty("properties").GetProperty("name").GetProperty("maxLength").GetInt32());
        Assert.Equal(TriageRequest.MaxText, triage.GetProperty("properties").GetProperty("text").GetProperty("maxLength").GetInt32());
        Assert.Equal(TriageRules.MaxRules, Schemas.GetProperty("TriageRules").GetProperty("properties").GetProperty("rules").GetProperty("maxItems").GetInt32());
        var truth = Schemas.GetProperty("SourceOfTruthContent").GetProperty("properties");
        Assert.Equal(SourceOfTruthContent.MaxImpact, truth.GetProperty("impact").GetProperty("maxLength").GetInt32());
        Assert.Equal(SourceOfTruthContent.MaxDecisions, truth.GetProperty("decisions").GetProperty("maxItems").GetInt32());
        Assert.Equal(Decision.MaxText, Schemas.GetProperty("Decision").GetProperty("properties").GetProperty("text").GetProperty("maxLength").GetInt32());
        var canned = Schemas.GetProperty("CannedResponseRequest").GetProperty("properties");
        Assert.Equal(CannedResponseValidation.MaxName, canned.GetProperty("name").GetProperty("maxLength").GetInt32());
        Assert.Equal(CannedResponseValidation.MaxTags, canned.GetProperty("tags").GetProperty("maxItems").GetInt32());

        // Texts per language declare each text's limit and, in a crisis' languages, how many languages.
        var title = Schemas.GetProperty("CreateCrisisRequest").GetProperty("properties").GetProperty("title");
        Assert.Equal(CrisisValidation.MaxTitle, title.GetProperty("additionalProperties").GetProperty("maxLength").GetInt32());
        Assert.Equal(CrisisValidation.MaxLanguages, title.GetProperty("maxProperties").GetInt32());
        var answer = Schemas.GetProperty("FaqEntry").GetProperty("properties").GetProperty("answer");
        Assert.Equal(ContentValidation.MaxAnswer, answer.GetProperty("additionalProperties").GetProperty("maxLength").GetInt32());
        var snippets = canned.GetProperty("snippets").GetProperty("additionalProperties");
        Assert.Equal(CannedResponseValidation.MaxSnippets, snippets.GetProperty("maxItems").GetInt32());
        Assert.Equal(CannedResponseValidation.MaxSnippet, snippets.GetProperty("items").GetProperty("maxLength").GetInt32());
        Assert.False(touchpoint.GetProperty("properties").GetProperty("normal").TryGetProperty("maxProperties", out _));
        var topics = Schemas.GetProperty("SubscribeRequest").GetProperty("properties").GetProperty("topics");
        Assert.Equal(Topics.MaxLength, topics.GetProperty("items").GetProperty("maxLength").GetInt32());

        // Every string and array of every request schema, however deep, declares its limit.
        var unbounded = new List<string>();
        foreach (var type in WriteFunctions.Select(f => f.Body).OfType<JsonBodyAttribute>().Select(b => b.Type.Name).Distinct())
        {
            CheckLimits(type, Schemas.GetProperty(type), unbounded, []);
        }

        Assert.True(unbounded.Count == 0, "Without a declared limit: " + string.Join(", ", unbounded));
    }

    /// <summary>
    /// Strings whose limit is not a length: each is validated by a pattern, which the schema declares instead. Values
    /// of an enum and dates are bounded by their enum and format.
    /// </summary>
    private static readonly HashSet<string> PatternOnly =
    [
        // Durations, as the serializer reads them ("1.00:00:00"); the function bounds them by range, not length.
        "ExpectedUpdateRequest.cadence",
        "ExpectedUpdateRequest.gracePeriod",
    ];

    /// <summary>Texts per language whose languages are not limited: a touchpoint is not tied to a crisis' languages.</summary>
    private static readonly HashSet<string> AnyLanguages = ["TouchpointRequest.normal", "OverrideRequest.text"];

    private static readonly string[] Combinators = ["oneOf", "anyOf", "allOf"];

    private void CheckLimits(string path, JsonElement schema, List<string> unbounded, HashSet<string> visited)
    {
        if (schema.TryGetProperty("$ref", out var reference) && !visited.Add(reference.GetString()!))
        {
            return;
        }

        schema = Resolve(schema);
        foreach (var alternative in Combinators.Where(k => schema.TryGetProperty(k, out _)).SelectMany(k => schema.GetProperty(k).EnumerateArray()))
        {
            CheckLimits(path, alternative, unbounded, visited);
        }

        var types = !schema.TryGetProperty("type", out var type) ? [] :
            type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()];
        if (types.Contains("string") && !schema.TryGetProperty("enum", out _) && !schema.TryGetProperty("format", out _)
            && !schema.TryGetProperty("maxLength", out _))
        {
            if (!PatternOnly.Contains(path) || !schema.TryGetProperty("pattern", out _))
            {
                unbounded.Add(path);
            }
        }

        if (types.Contains("array"))
        {
            if (!schema.TryGetProperty("maxItems", out _))
            {
                unbounded.Add(path);
            }

            CheckLimits(path + "[]", schema.GetProperty("items"), unbounded, visited);
        }

        if (types.Contains("object"))
        {
            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    CheckLimits(path + "." + property.Name, property.Value, unbounded, visited);
                }
            }

            if (schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object)
            {
                if (!schema.TryGetProperty("maxProperties", out _) && !AnyLanguages.Contains(path))
                {
                    unbounded.Add(path + "{}");
                }

                CheckLimits(path + "{}", values, unbounded, visited);
            }
        }
    }

    [Fact]
    public void Every_operation_lists_the_problems_its_route_can_answer_as_problem_json()
    {
        var expected = new Dictionary<string, int[]>
        {
            ["UpdateCrisis"] = [400, 401, 403, 404, 409, 412, 413, 415, 503],
            ["ActivateCrisis"] = [400, 401, 403, 404, 409, 412, 503],
            ["CreateCrisis"] = [400, 401, 403, 409, 413, 415, 503],
            ["GetCrisis"] = [400, 401, 403, 404, 503],
            ["Subscribe"] = [400, 404, 413, 415, 422, 429, 503],
            ["Unsubscribe"] = [400, 410, 413, 415, 429, 503],
            ["VoteFaqEntry"] = [400, 404, 413, 415, 429, 503],
        };
        foreach (var (function, statuses) in expected)
        {
            var responses = Operation(function).GetProperty("responses");
            var problems = responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5').Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).Order();
            Assert.Equal(statuses, problems);
        }

        foreach (var path in Paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var responses = operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5').ToList();
                Assert.Contains(responses, r => r.Name == "503");
                foreach (var response in responses)
                {
                    var schema = response.Value.GetProperty("content").GetProperty(FunctionsOpenApi.ProblemContentType).GetProperty("schema").GetProperty("$ref").GetString();
                    Assert.True(schema is "#/components/schemas/ProblemDetails" or "#/components/schemas/HttpValidationProblemDetails", $"{operation.Name} {path.Name} {response.Name}: {schema}");
                }
            }
        }

        var ifMatch = Operation("UpdateCrisis").GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "If-Match");
        Assert.Equal("header", ifMatch.GetProperty("in").GetString());
    }
}
