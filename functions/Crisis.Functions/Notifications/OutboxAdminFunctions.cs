using Crisis.Functions.Access;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Notifications;

/// <summary>Admins' view of the outbox: the messages set aside because making or sending them failed unexpectedly.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: outbox")]
public sealed class OutboxAdminFunctions(Outbox outbox)
{
    private const int DefaultPageSize = 100;

    [Function("ListSetAsideMessages")]
    [QueryParameter("pageSize", "how many per page", IsInteger = true)]
    [QueryParameter("continuationToken", "the token of the next page, from the previous page")]
    public async Task<Results<Ok<SetAsideList>, ProblemHttpResult>> SetAside(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/outbox/set-aside")] HttpRequest request)
    {
        if (!QueryValues.TryInt(request, "pageSize", out var pageSize, out var invalid))
        {
            return invalid;
        }

        if (pageSize is < 1 or > 1000)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", "pageSize is 1 to 1000.");
        }

        try
        {
            return TypedResults.Ok(await outbox.SetAsidePageAsync(pageSize ?? DefaultPageSize, QueryValues.Text(request, "continuationToken"), request.HttpContext.RequestAborted));
        }
        catch (FormatException e)
        {
            return Problems.Create(400, Problems.InvalidQuery, "Invalid query", e.Message);
        }
    }
}
