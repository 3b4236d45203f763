/// <summary>Benchmarks against Azurite, each printing one BENCH line per metric (see tests/bench/run).</summary>
internal static class Benchmarks
{
    public static async Task<int> Main(string[] args) => args switch
    {
        ["reminders"] => await ReminderBenchmark.RunAsync(),
        ["fanout"] => await FanoutBenchmark.RunAsync(),
        ["delivery"] => await DeliveryBenchmark.RunAsync(),
        ["email"] => await EmailBenchmark.RunAsync(),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: dotnet run --project tests/bench/Benchmarks -c Release -- reminders|fanout|delivery|email");
        return 2;
    }
}
