/// <summary>Benchmarks against Azurite: <c>reminders</c> (timer cost against what exists) or <c>fanout</c> (subscribers queued per second).</summary>
internal static class Benchmarks
{
    public static async Task<int> Main(string[] args) => args switch
    {
        ["reminders"] => await ReminderBenchmark.RunAsync(),
        ["fanout"] => await FanoutBenchmark.RunAsync(),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: dotnet run --project tests/bench/Benchmarks -c Release -- reminders|fanout");
        return 2;
    }
}
