using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Notifications;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Hostile;

/// <summary>
/// One app for the whole hostile corpus, holding one of everything a route can name: an active crisis with a
/// published update, a stakeholder owing an update, a canned response, a touchpoint with an override, a question
/// and a subscriber. Every case then sends something that must be refused, and storage must not change.
/// </summary>
public sealed class HostileFixture : IAsyncLifetime
{
    public CrisisAppFactory App { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Agent { get; private set; } = null!;

    public HttpClient Public { get; private set; } = null!;

    public string CrisisId { get; private set; } = "";

    public string UpdateId { get; private set; } = "";

    public string StakeholderId { get; private set; } = "";

    public string ExpectedUpdateId { get; private set; } = "";

    public string CannedResponseId { get; private set; } = "";

    public string QuestionId { get; private set; } = "";

    public string SubscriberId { get; private set; } = "";

    public const string TouchpointId = "hostile-banner";

    public SignedTokens Tokens => App.Services.GetRequiredService<SignedTokens>();

    public async Task InitializeAsync()
    {
        App = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["RateLimits:PublicReadsPerMinute"] = "10000",
            ["RateLimits:PublicWritesPerMinute"] = "10000",
            ["RateLimits:SubscribesPerMinute"] = "10000",
            ["Outbox:SendInBackground"] = "false",

            // As in production: anonymous subscribers may not name a private receiver, and the one allowed is a port nobody serves.
            ["Webhooks:AllowPrivateHostsForSubscribers"] = "false",
            ["Webhooks:AllowedPrivateHosts"] = "127.0.0.1:9",
        });
        Admin = App.CreateAdminClient();
        Agent = App.CreateAgentClient();
        Public = App.CreateClient();

        CrisisId = await CrisisFixtures.CreateActiveAsync(Admin, CrisisFixtures.NewCrisis("en", "fa"));
        UpdateId = await IdOfAsync(Admin.PostAsJsonAsync($"/api/admin/crises/{CrisisId}/updates", HostileCorpus.ValidUpdate(publish: true)));
        StakeholderId = await IdOfAsync(Admin.PostAsJsonAsync("/api/admin/stakeholders", HostileCorpus.ValidStakeholder()));
        ExpectedUpdateId = await IdOfAsync(Admin.PostAsJsonAsync($"/api/admin/crises/{CrisisId}/expected-updates", HostileCorpus.ValidExpectedUpdate(StakeholderId)));
        CannedResponseId = await IdOfAsync(Admin.PostAsJsonAsync($"/api/admin/crises/{CrisisId}/canned-responses", HostileCorpus.ValidCannedResponse()));
        (await Admin.PutAsJsonAsync($"/api/admin/touchpoints/{TouchpointId}", HostileCorpus.ValidTouchpoint())).EnsureSuccessStatusCode();
        (await Admin.PutAsJsonAsync($"/api/admin/crises/{CrisisId}/touchpoints/{TouchpointId}", HostileCorpus.ValidOverride())).EnsureSuccessStatusCode();
        (await Public.PostAsJsonAsync($"/api/crises/{CrisisId}/questions", HostileCorpus.ValidQuestion())).EnsureSuccessStatusCode();
        var questions = await (await Admin.GetAsync($"/api/admin/crises/{CrisisId}/questions")).ReadJsonAsync();
        QuestionId = questions.GetProperty("questions")[0].GetProperty("id").GetString()!;
        (await Public.PostAsJsonAsync("/api/subscriptions", HostileCorpus.ValidSubscription(CrisisId))).EnsureSuccessStatusCode();
        var subscribers = await (await Admin.GetAsync($"/api/admin/crises/{CrisisId}/subscribers")).ReadJsonAsync();
        SubscriberId = subscribers.GetProperty("subscribers")[0].GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Agent.Dispose();
        Public.Dispose();
        await App.DisposeAsync();
    }

    public HttpClient ClientFor(Caller caller) => caller switch
    {
        Caller.Admin => Admin,
        Caller.Agent => Agent,
        _ => Public,
    };

    private static async Task<string> IdOfAsync(Task<HttpResponseMessage> sending) =>
        (await (await sending).ReadJsonAsync()).GetProperty("id").GetString()!;
}

public enum Caller
{
    Anonymous,
    Agent,
    Admin,
}

/// <summary>How a hostile request must be refused.</summary>
public enum Refusal
{
    /// <summary>A 4xx RFC 9457 problem with a stable type.</summary>
    Problem,

    /// <summary>A 4xx HTML page: the link pages people open in a browser.</summary>
    Page,

    /// <summary>A bare 400 from the HTTP server, before any function runs (a NUL in the path or a header).</summary>
    ByServer,
}

/// <summary>One hostile request: sent as given (raw bytes, raw headers), never "fixed up" by a serializer.</summary>
public sealed record HostileCase(string Name, HttpMethod Method, string Path, Caller Caller, byte[]? Body = null, string? ContentType = "application/json",
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null, string? Authorization = null, Refusal Refusal = Refusal.Problem)
{
    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        foreach (var (name, value) in Headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (Authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        return request;
    }

    public override string ToString() => Name;
}

/// <summary>A JSON body route: where it is, who may call it, a body it would accept, and the text fields in it.</summary>
public sealed record BodyRoute(string Family, HttpMethod Method, string Path, Caller Caller, JsonObject Valid, params string[] TextFields);
