using Crisis.Functions.Access;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Crisis.Functions.Subscriptions;

public sealed record SubscriberList(IReadOnlyList<SubscriptionView> Subscribers, string? ContinuationToken);

public sealed record RecipientList(IReadOnlyList<Delivery> Recipients, string? ContinuationToken);

/// <summary>Admins' view of subscribers (contacts masked) and of each update's notifications.</summary>
public static class SubscriberAdminApi
{
    private const int DefaultPageSize = 100;

    public static IEndpointRouteBuilder MapSubscriberAdmin(this IEndpointRouteBuilder routes)
    {
        var crises = routes.AdminCrisesGroup("Admin: subscribers");
        crises.MapGet("/{id}/subscribers", List).AsFunction("ListCrisisSubscribers", FunctionAuthLevel.Function);
        crises.MapGet("/{id}/subscribers/counts", Counts).AsFunction("GetCrisisSubscriberCounts", FunctionAuthLevel.Function);
        crises.MapGet("/{id}/updates/{updateId}/notifications", Status).AsFunction("GetUpdateNotifications", FunctionAuthLevel.Function);
        crises.MapGet("/{id}/updates/{updateId}/notifications/recipients", Recipients).AsFunction("ListUpdateRecipients", FunctionAuthLevel.Function);

        var subscribers = routes.MapProtectedGroup("/api/admin/subscribers", AccessServiceCollectionExtensions.AdminPolicy, "Admin: subscribers");
        subscribers.MapDelete("/{subscriberId}", Remove).AsFunction("RemoveSubscriber", FunctionAuthLevel.Function);
        subscribers.MapPost("/{subscriberId}/reactivate", Reactivate).AsFunction("ReactivateSubscriber", FunctionAuthLevel.Function);
        return routes;
    }

    public static async Task<Results<Ok<SubscriberList>, ProblemHttpResult>> List(
        string id, [FromQuery] string? status, [FromQuery] string? channel, [FromQuery] int? pageSize, [FromQuery] string? continuationToken,
        CrisisService crises, SubscriberStore store, CancellationToken cancellationToken)
    {
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

    public static async Task<Ok<SubscriberCounts>> Counts(string id, CrisisService crises, SubscriberStore store, CancellationToken cancellationToken)
    {
        await crises.GetAsync(id, cancellationToken);
        return TypedResults.Ok(await store.CountAsync(id, cancellationToken));
    }

    public static async Task<Ok<NotificationStatus>> Status(string id, string updateId, CrisisStore crises, FanoutService fanout, CancellationToken cancellationToken)
    {
        _ = await crises.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
        return TypedResults.Ok(await fanout.StatusAsync(id, updateId, cancellationToken));
    }

    public static async Task<Results<Ok<RecipientList>, ProblemHttpResult>> Recipients(
        string id, string updateId, [FromQuery] int? pageSize, [FromQuery] string? continuationToken, CrisisStore crises, Outbox outbox, CancellationToken cancellationToken)
    {
        _ = await crises.GetUpdateAsync(id, updateId, cancellationToken) ?? throw new CrisisNotFoundException($"Update {updateId} of crisis {id}");
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

    public static async Task<Results<NoContent, ProblemHttpResult>> Remove(string subscriberId, SubscriberStore store, ILogger<SubscriberStore> logger, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(subscriberId, cancellationToken) is not { Subscriber: var subscriber })
        {
            return Problems.Create(404, Problems.NotFound, "Not found", $"Subscriber {subscriberId} does not exist.");
        }

        await store.DeleteAsync(subscriber, cancellationToken);
        logger.LogInformation("Subscriber {SubscriberId} removed by an admin", subscriberId);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> Reactivate(string subscriberId, SubscriberStore store, CancellationToken cancellationToken)
    {
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
