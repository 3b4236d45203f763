using Crisis.Functions.Access;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Subscriptions;

public sealed record SubscriberList(IReadOnlyList<SubscriptionView> Subscribers, string? ContinuationToken);

public sealed record RecipientList(IReadOnlyList<Delivery> Recipients, string? ContinuationToken);

/// <summary>Admins' view of subscribers (contacts masked) and of each update's notifications.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: subscribers")]
public sealed class SubscriberAdminFunctions(
    CrisisService crises, CrisisStore updates, SubscriberStore store, FanoutService fanout, Outbox outbox, ILogger<SubscriberAdminFunctions> logger)
{
    private const int DefaultPageSize = 100;

    [Function("ListCrisisSubscribers")]
    [QueryParameter("status", "pending, confirmed or quarantined")]
    [QueryParameter("channel", "email, sms or webhook")]
    [QueryParameter("pageSize", "how many per page", IsInteger = true)]
    [QueryParameter("continuationToken", "the token of the next page, from the previous page")]
    public async Task<Results<Ok<SubscriberList>, ProblemHttpResult>> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/subscribers")] HttpRequest request, string id)
    {
        if (!QueryValues.TryInt(request, "pageSize", out var pageSize, out var invalid))
        {
            return invalid;
        }

        var status = QueryValues.Text(request, "status");
        var channel = QueryValues.Text(request, "channel");
        var continuationToken = QueryValues.Text(request, "continuationToken");
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        if (!TryParse<SubscriberStatus>(status, out var byStatus) || !TryParse<OutboxChannel>(channel, out var byChannel) || pageSize is < 1 or > 1000)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", "status is pending, confirmed or quarantined; channel is email, sms or webhook; pageSize is 1 to 1000.");
        }

        try
        {
            var page = await store.ListInScopeAsync(id, byStatus, byChannel, pageSize ?? DefaultPageSize, continuationToken, cancellationToken);
            return TypedResults.Ok(new SubscriberList([.. page.Subscribers.Select(SubscriptionView.Of)], page.ContinuationToken));
        }
        catch (FormatException e)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", e.Message);
        }
    }

    [Function("GetCrisisSubscriberCounts")]
    public async Task<Ok<SubscriberCounts>> Counts(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/subscribers/counts")] HttpRequest request, string id)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(await store.CountAsync(id, cancellationToken));
    }

    [Function("GetUpdateNotifications")]
    public async Task<Ok<NotificationStatus>> Status(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/updates/{updateId}/notifications")] HttpRequest request, string id, string updateId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (update, _) = await updates.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
        return TypedResults.Ok(await fanout.StatusAsync(id, update, cancellationToken));
    }

    [Function("ListUpdateRecipients")]
    [QueryParameter("pageSize", "how many per page", IsInteger = true)]
    [QueryParameter("continuationToken", "the token of the next page, from the previous page")]
    public async Task<Results<Ok<RecipientList>, ProblemHttpResult>> Recipients(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/updates/{updateId}/notifications/recipients")] HttpRequest request, string id, string updateId)
    {
        if (!QueryValues.TryInt(request, "pageSize", out var pageSize, out var invalid))
        {
            return invalid;
        }

        var continuationToken = QueryValues.Text(request, "continuationToken");
        var cancellationToken = request.HttpContext.RequestAborted;
        _ = await updates.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
        if (pageSize is < 1 or > 1000)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", "pageSize is 1 to 1000.");
        }

        try
        {
            var page = await outbox.DeliveryPageAsync(UpdateNotifications.KeyPrefix(id, updateId), pageSize ?? DefaultPageSize, continuationToken, cancellationToken);
            return TypedResults.Ok(new RecipientList(page.Deliveries, page.ContinuationToken));
        }
        catch (FormatException e)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", e.Message);
        }
    }

    [Function("RemoveSubscriber")]
    public async Task<Results<NoContent, ProblemHttpResult>> Remove(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "admin/subscribers/{subscriberId}")] HttpRequest request, string subscriberId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        if (await store.GetAsync(subscriberId, cancellationToken) is not { Subscriber: var subscriber })
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Subscriber {subscriberId} does not exist.");
        }

        await store.DeleteAsync(subscriber, cancellationToken);
        logger.LogInformation("Subscriber {SubscriberId} removed by an admin", subscriberId);
        return TypedResults.NoContent();
    }

    [Function("ReactivateSubscriber")]
    [NoBody(412)]
    public async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> Reactivate(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/subscribers/{subscriberId}/reactivate")] HttpRequest request, string subscriberId)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        if (await store.GetAsync(subscriberId, cancellationToken) is not var (subscriber, etag))
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Subscriber {subscriberId} does not exist.");
        }

        if (subscriber.Status != SubscriberStatus.Quarantined)
        {
            return Problems.Create(409, Problems.Conflict, "Not quarantined", $"Subscriber {subscriberId} is {Kebab(subscriber.Status.ToString())}; only a quarantined subscriber can be re-activated.");
        }

        var active = subscriber with { Status = SubscriberStatus.Confirmed, Failures = 0, QuarantinedAt = null };
        try
        {
            await store.ReplaceAsync(active, etag, cancellationToken);
        }
        catch (ChangedMeanwhileException)
        {
            return Problems.Create(412, Problems.PreconditionFailed, "Changed meanwhile", "The subscriber changed meanwhile; try again.");
        }

        return TypedResults.Ok(SubscriptionView.Of(active));
    }

    private static bool TryParse<T>(string? text, out T? value)
        where T : struct, Enum
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (text.All(char.IsAsciiLetterLower) && Enum.TryParse<T>(text, ignoreCase: true, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    private static string Kebab(string name) => name.ToLowerInvariant();
}
