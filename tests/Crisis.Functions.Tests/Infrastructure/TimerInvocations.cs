using Crisis.Functions.Host;

namespace Crisis.Functions.Tests.Infrastructure;

public static class TimerInvocations
{
    /// <summary>
    /// Runs timer function <paramref name="name"/> of the app <paramref name="client"/> talks to, exactly as on a
    /// schedule: the local host sends the worker an InvocationRequest with the TimerInfo, and answers how it went.
    /// </summary>
    public static Task<TimerRun> RunTimerAsync(this HttpClient client, string name, bool pastDue = false, CancellationToken cancellationToken = default) =>
        CrisisAppFactory.Of(client).RunTimerAsync(name, pastDue, cancellationToken);
}
