using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>The worker hands the host the response alone: a function's result, once written to it, is not converted again for the host.</summary>
public class ExecutedResultTests
{
    [Fact]
    public async Task A_public_page_served_from_memory_is_not_also_serialized_into_the_invocation_response()
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var admin = app.CreateAdminClient();
        using var client = app.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));
        (await client.GetAsync($"/api/crises/{id}")).EnsureSuccessStatusCode();

        // Serializing a cached page document as the invocation's return value reads its FAQ search index, which a
        // page document cannot parse into: each such conversion throws inside the worker's RPC conversion.
        var failedConversions = 0;
        void Watch(object? sender, FirstChanceExceptionEventArgs e)
        {
            if (new StackTrace().GetFrames().Any(f => f.GetMethod()?.DeclaringType?.FullName?.StartsWith("Microsoft.Azure.Functions.Worker.Rpc.RpcExtensions", StringComparison.Ordinal) == true))
            {
                Interlocked.Increment(ref failedConversions);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Watch;
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var page = await client.GetAsync($"/api/crises/{id}");
                page.EnsureSuccessStatusCode();
                Assert.Equal(id, (await page.ReadJsonAsync()).GetProperty("crisisId").GetString());
            }
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Watch;
        }

        Assert.Equal(0, failedConversions);
    }
}
