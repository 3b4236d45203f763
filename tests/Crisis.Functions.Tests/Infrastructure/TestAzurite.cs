using Crisis.Functions.Host.Local;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// One in-memory Azurite for the whole test run, started on first use from the repository's node_modules.
/// Tests isolate themselves by name prefix, not by emulator. It exits with the test process.
/// </summary>
public static class TestAzurite
{
    private static readonly Lazy<Task<EmbeddedAzurite>> Shared = new(StartSharedAsync);

    public static Task<EmbeddedAzurite> GetAsync() => Shared.Value;

    /// <summary>A private Azurite, for tests that stop it.</summary>
    public static Task<EmbeddedAzurite> StartOwnAsync() => EmbeddedAzurite.StartAsync();

    /// <summary>A fresh table/container name prefix: a letter and 11 lowercase alphanumerics.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..11];

    private static async Task<EmbeddedAzurite> StartSharedAsync()
    {
        var azurite = await EmbeddedAzurite.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => azurite.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return azurite;
    }
}
