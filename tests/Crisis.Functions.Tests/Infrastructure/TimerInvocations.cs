using System.Text;

namespace Crisis.Functions.Tests.Infrastructure;

public static class TimerInvocations
{
    /// <summary>Invokes timer function <paramref name="name"/> exactly as the Functions host does: POST /{name} with the host's invocation body.</summary>
    public static Task<HttpResponseMessage> RunTimerAsync(this HttpClient client, string name, bool pastDue = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.PostAsync("/" + name, new StringContent(
            $$$"""{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":{{{(pastDue ? "true" : "false")}}}}},"Metadata":{}}""",
            Encoding.UTF8, "application/json"), cancellationToken);
    }
}
