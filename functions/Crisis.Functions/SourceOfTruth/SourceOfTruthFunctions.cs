using Crisis.Functions.Access;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.SourceOfTruth;

public sealed record VersionList(IReadOnlyList<int> Versions);

public sealed record StaffSubscriberList(IReadOnlyList<StaffSubscriber> Subscribers);

/// <summary>The internal source of truth as agents (and admins) read it, with its history.</summary>
[RequiresPolicy(Policies.Agent)]
[Tags("Source of truth")]
public sealed class SourceOfTruthAgentFunctions(CrisisService crises, SourceOfTruthStore store, StakeholderStore stakeholders)
{
    [Function("GetSourceOfTruth")]
    public async Task<Ok<SourceOfTruthView>> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent/crises/{id}/source-of-truth")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var current = await store.GetCurrentAsync(id, cancellationToken);
        var people = (await stakeholders.ListAsync(cancellationToken)).ToDictionary(s => s.Id, s => s.Name);
        var expectations = (await stakeholders.ListExpectedAsync(id, cancellationToken))
            .Where(u => u.Status == ExpectedUpdateStatus.Active)
            .OrderBy(u => u.Current.DueAt)
            .Select(u => new UpdateExpectation(u.Topic, u.OwnerId, people.GetValueOrDefault(u.OwnerId), u.Current.DueAt, u.Cadence))
            .ToList();
        var version = current?.Document.Version ?? 0;
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('s', version);
        return TypedResults.Ok(new SourceOfTruthView(version, current?.Document.SavedAt, current?.Document.SavedBy, current?.Document.Content ?? SourceOfTruthStore.Empty, expectations));
    }

    [Function("ListSourceOfTruthVersions")]
    public async Task<Ok<VersionList>> ListVersions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent/crises/{id}/source-of-truth/versions")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new VersionList(await store.ListVersionsAsync(id, cancellationToken)));
    }

    [Function("GetSourceOfTruthVersion")]
    public async Task<Results<Ok<Versioned<SourceOfTruthContent>>, ProblemHttpResult>> GetVersion(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent/crises/{id}/source-of-truth/versions/{version}")] HttpRequest request, string id, string version)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        if (!int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return Problems.Create(400, Problems.InvalidId, "Invalid version", "version must be a positive whole number.");
        }

        return await store.GetVersionAsync(id, number, cancellationToken) is { } document
            ? TypedResults.Ok(document)
            : Problems.Create(404, Problems.NotFound, "Not found", $"Crisis {id} has no source-of-truth version {number}.");
    }
}

/// <summary>The internal source of truth as admins write it, and the staff told of each new version.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Source of truth")]
public sealed class SourceOfTruthAdminFunctions(
    CrisisService crises, CrisisStore audit, SourceOfTruthStore store, OutboxKick kick, IOptions<PublicPagesOptions> pages, IOptions<WebhookOptions> webhooks)
{
    private const int MaxBody = 256 * 1024;

    [Function("SaveSourceOfTruth")]
    [JsonBody(typeof(SourceOfTruthContent), IfMatch = true)]
    public async Task<Results<Ok<Versioned<SourceOfTruthContent>>, ValidationProblem, ProblemHttpResult>> Save(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "admin/crises/{id}/source-of-truth")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var user = request.HttpContext.User;
        if (!CrisisService.TryParseIfMatch(request.Headers.IfMatch, 's', out var expected))
        {
            return Problems.Create(400, Problems.PreconditionFailed, "Invalid If-Match", "If-Match must be the ETag the source of truth was read with, e.g. \"s3\".");
        }

        var crisis = await crises.GetAsync(id, cancellationToken);
        if (crisis.Status == CrisisStatus.Archived)
        {
            throw new CrisisReadOnlyException(id);
        }

        var body = await JsonBody.ReadAsync<SourceOfTruthContent>(request, MaxBody, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var validation = Validate(body.Value!, crisis);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        Versioned<SourceOfTruthContent> saved;
        try
        {
            var link = pages.Value.BaseUrl.AbsoluteUri.TrimEnd('/') + $"/api/agent/crises/{id}/source-of-truth";
            saved = await store.SaveAsync(crisis, body.Value!, expected, user.Actor(), link, cancellationToken);
        }
        catch (ChangedMeanwhileException e)
        {
            throw new VersionMismatchException(e.Message);
        }

        await audit.AuditAsync(id, user.Actor(), "source-of-truth.save", null, $"version {saved.Version}", cancellationToken);
        kick.Dispatch();
        request.HttpContext.Response.Headers.ETag = CrisisService.ETagOf('s', saved.Version);
        return TypedResults.Ok(saved);
    }

    [Function("ListSourceOfTruthSubscribers")]
    public async Task<Ok<StaffSubscriberList>> ListSubscribers(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/source-of-truth/subscribers")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(new StaffSubscriberList(await store.ListSubscribersAsync(id, cancellationToken)));
    }

    [Function("AddSourceOfTruthSubscriber")]
    [JsonBody(typeof(StaffSubscriberRequest))]
    public async Task<Results<Created<StaffSubscriber>, ValidationProblem, ProblemHttpResult>> AddSubscriber(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/crises/{id}/source-of-truth/subscribers")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        var body = await JsonBody.ReadAsync<StaffSubscriberRequest>(request, 8 * 1024, cancellationToken);
        if (!body.IsValid)
        {
            return body.Problem!;
        }

        var input = body.Value!;
        var validation = StakeholderValidation.Contact(input.Name, input.Email, input.WebhookUrl, webhooks.Value.AllowedPrivateHosts);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var subscriber = await store.AddSubscriberAsync(id, input, cancellationToken);
        return TypedResults.Created($"/api/admin/crises/{id}/source-of-truth/subscribers/{subscriber.Id}", subscriber);
    }

    [Function("RemoveSourceOfTruthSubscriber")]
    public async Task<Results<NoContent, ProblemHttpResult>> RemoveSubscriber(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "admin/crises/{id}/source-of-truth/subscribers/{subscriberId}")] HttpRequest request, string id, string subscriberId) =>
        await store.RemoveSubscriberAsync(id, subscriberId, request.HttpContext.RequestAborted)
            ? TypedResults.NoContent()
            : Problems.Create(404, Problems.NotFound, "Not found", $"Crisis {id} has no subscriber {subscriberId}.");

    private static Validation Validate(SourceOfTruthContent content, CrisisRecord crisis)
    {
        var v = new Validation();
        v.Text("impact", content.Impact, SourceOfTruthContent.MaxImpact, required: false);
        v.Count("decisionMakers", content.DecisionMakers, SourceOfTruthContent.MaxDecisionMakers);
        foreach (var name in content.DecisionMakers)
        {
            v.Text("decisionMakers", name, SourceOfTruthContent.MaxDecisionMaker, multiline: false);
        }

        v.Count("decisions", content.Decisions, SourceOfTruthContent.MaxDecisions);
        for (var i = 0; i < content.Decisions.Count; i++)
        {
            v.Text($"decisions[{i}].text", content.Decisions[i].Text, Decision.MaxText);
            v.Text($"decisions[{i}].decidedBy", content.Decisions[i].DecidedBy, Decision.MaxDecidedBy, multiline: false);
        }

        v.Count("approvedWording", content.ApprovedWording, SourceOfTruthContent.MaxApprovedWording);
        for (var i = 0; i < content.ApprovedWording.Count; i++)
        {
            v.Text($"approvedWording[{i}].key", content.ApprovedWording[i].Key, ApprovedWording.MaxKey, multiline: false);
            v.Localised($"approvedWording[{i}].text", content.ApprovedWording[i].Text, crisis.Languages, crisis.DefaultLanguage, ApprovedWording.MaxText);
        }

        return v;
    }
}
