using System.Net;
using Crisis.Functions.Crises;
using Crisis.Functions.Demo;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Demo;

/// <summary>The demo crisis that `npm start` seeds, on Azurite through the app.</summary>
public sealed class DemoSeedingTests
{
    [Fact]
    public async Task A_seeding_stopped_once_the_demo_crisis_was_created_is_finished_by_the_next_start_and_seeding_again_adds_nothing()
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var client = app.CreateClient();
        var crises = app.Services.GetRequiredService<CrisisService>();
        var store = app.Services.GetRequiredService<CrisisStore>();
        string[] languages = ["en", "cy", "fa", "sw"];
        await crises.CreateAsync(new CrisisRecord
        {
            Id = DemoContent.CrisisId,
            Title = languages.ToDictionary(l => l, _ => "Regional flooding"),
            Summary = languages.ToDictionary(l => l, _ => "Depots are closed."),
            Severity = Severity.Major,
            DefaultLanguage = "en",
            Languages = [.. languages],
            Status = CrisisStatus.Draft,
            CreatedAt = default,
            UpdatedAt = default,
            Version = 0,
        }, "demo-seed", CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/crises/{DemoContent.CrisisId}?lang=cy")).StatusCode);

        await DemoContent.SeedAsync(app.Services, CancellationToken.None);
        await DemoContent.SeedAsync(app.Services, CancellationToken.None);

        Assert.Equal(CrisisStatus.Active, (await store.GetAsync(DemoContent.CrisisId, CancellationToken.None))!.Value.Crisis.Status);
        var update = Assert.Single(await store.ListUpdatesAsync(DemoContent.CrisisId, CancellationToken.None));
        Assert.NotNull(update.PublishedAt);
        var page = await (await client.GetAsync($"/api/crises/{DemoContent.CrisisId}?lang=cy")).ReadJsonAsync();
        Assert.Equal("cy", page.GetProperty("language").GetString());
    }
}
