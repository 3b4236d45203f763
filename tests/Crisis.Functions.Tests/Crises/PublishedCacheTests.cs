using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Crises;

public class PublishedCacheTests
{
    [Fact]
    public async Task Another_instance_serves_its_copy_from_memory_until_revalidation_then_the_new_version()
    {
        var revalidateAfter = TimeSpan.FromSeconds(4);
        await using var writer = await CrisisAppFactory.CreateAsync();
        await using var reader = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Storage:NamePrefix"] = writer.NamePrefix,
            ["PublicPages:RevalidateAfter"] = revalidateAfter.ToString(),
        });
        using var admin = writer.CreateAdminClient();
        using var readerClient = reader.CreateClient();
        var id = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));

        var first = await readerClient.GetAsync($"/api/crises/{id}");
        var firstRead = DateTimeOffset.UtcNow;
        var before = first.Headers.ETag;
        await CrisisFixtures.PostAsync(admin, $"/api/admin/crises/{id}/updates", new { text = new { en = "Published on the other instance" }, publish = true });

        var cached = await readerClient.GetAsync($"/api/crises/{id}");
        Assert.True(DateTimeOffset.UtcNow - firstRead < revalidateAfter, "the machine was too slow to observe the cached window");
        Assert.Equal(before, cached.Headers.ETag);

        await Task.Delay(revalidateAfter - (DateTimeOffset.UtcNow - firstRead) + TimeSpan.FromMilliseconds(200));
        var fresh = await readerClient.GetAsync($"/api/crises/{id}");
        Assert.NotEqual(before, fresh.Headers.ETag);
        Assert.Equal("Published on the other instance", (await fresh.ReadJsonAsync()).GetProperty("updates")[0].GetProperty("text").GetString());
    }
}
