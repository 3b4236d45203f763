using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crisis.Functions.Tests.Storage;

public class VersionedBlobsTests
{
    private const string Container = "docs";

    private static async Task PlantVersionAsync(CrisisStorage storage, string series, int version, string content)
    {
        var container = await storage.ContainerAsync(Container);
        var orphan = new Versioned<string>(version, DateTimeOffset.UnixEpoch, "crashed-writer", content);
        await container.GetBlobClient($"{series}/v{version:D6}.json").WriteAsync(BinaryData.FromObjectAsJson(orphan, JsonBody.Options), "application/json");
    }

    [Fact]
    public async Task A_save_cut_short_before_its_pointer_moved_is_repaired_by_the_next_save_and_no_version_is_lost()
    {
        await using var services = await TestStorage.ServicesAsync();
        var storage = services.GetRequiredService<CrisisStorage>();
        var documents = new VersionedBlobs(storage, Container, TimeProvider.System);
        await documents.SaveAsync("s", "one", null, "admin", default);
        await PlantVersionAsync(storage, "s", 2, "two, never pointed at");

        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => documents.SaveAsync("s", "stale", 1, "admin", default));
        var repaired = await documents.GetCurrentAsync<string>("s", default);
        var third = await documents.SaveAsync("s", "three", 2, "admin", default);

        Assert.Equal((2, "two, never pointed at"), (repaired!.Value.Document.Version, repaired.Value.Document.Content));
        Assert.Equal(3, third.Version);
        Assert.Equal([1, 2, 3], await documents.ListVersionsAsync("s", default));
        Assert.Equal("three", (await documents.GetCurrentAsync<string>("s", default))!.Value.Document.Content);
    }

    [Fact]
    public async Task An_unconditional_save_steps_over_versions_left_by_cut_short_saves()
    {
        await using var services = await TestStorage.ServicesAsync();
        var storage = services.GetRequiredService<CrisisStorage>();
        var documents = new VersionedBlobs(storage, Container, TimeProvider.System);
        await PlantVersionAsync(storage, "s", 1, "first, never pointed at");
        await PlantVersionAsync(storage, "s", 2, "second, never pointed at");

        var saved = await documents.SaveAsync("s", "mine", null, "admin", default);

        Assert.Equal(3, saved.Version);
        Assert.Equal([1, 2, 3], await documents.ListVersionsAsync("s", default));
        Assert.Equal("second, never pointed at", (await documents.GetVersionAsync<string>("s", 2, default))!.Content);
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_and_that_the_client_sent_again_saves_once()
    {
        var resend = new SendTwicePolicy();
        await using var services = await TestStorage.ServicesAsync(s => s.AddSingleton<HttpPipelinePolicy>(resend));
        var documents = new VersionedBlobs(services.GetRequiredService<CrisisStorage>(), Container, TimeProvider.System);

        var first = await documents.SaveAsync("s", "one", null, "admin", default);
        var second = await documents.SaveAsync("s", "two", 1, "admin", default);

        Assert.True(resend.Repeated >= 4, $"{resend.Repeated} writes were sent twice");
        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Equal([1, 2], await documents.ListVersionsAsync("s", default));
        Assert.Equal("two", (await documents.GetCurrentAsync<string>("s", default))!.Value.Document.Content);
    }

    [Fact]
    public async Task A_crisis_draft_left_behind_its_latest_version_is_repaired_on_the_next_save()
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var admin = app.CreateAdminClient();
        var id = await CrisisFixtures.CreateAsync(admin, CrisisFixtures.NewCrisis("en"));
        await (await admin.PutAsJsonAsync($"/api/admin/crises/{id}/content", new JsonObject { ["statusText"] = CrisisFixtures.Localised(("en", "first")) })).ReadJsonAsync();
        var container = await app.Services.GetRequiredService<CrisisStorage>().ContainerAsync(Functions.Crises.ContentStore.ContainerName);
        var v1 = JsonNode.Parse((await container.GetBlobClient($"{id}/drafts/v000001.json").ReadAsync()).Content.ToString())!;
        v1["version"] = 2;
        v1["content"]!["statusText"]!["en"] = "second, saved by a writer that crashed";
        await container.GetBlobClient($"{id}/drafts/v000002.json").WriteAsync(BinaryData.FromString(v1.ToJsonString()), "application/json");

        HttpRequestMessage Save(string etag, string text)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/crises/{id}/content") { Content = JsonContent.Create(new JsonObject { ["statusText"] = CrisisFixtures.Localised(("en", text)) }) };
            request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(etag));
            return request;
        }

        await (await admin.SendAsync(Save("\"d1\"", "stale"))).AssertProblemAsync(HttpStatusCode.PreconditionFailed, Problems.PreconditionFailed);
        var draft = await admin.GetAsync($"/api/admin/crises/{id}/content");
        var saved = await admin.SendAsync(Save("\"d2\"", "third"));

        Assert.Equal("\"d2\"", draft.Headers.ETag!.ToString());
        Assert.Equal("second, saved by a writer that crashed", (await draft.ReadJsonAsync()).GetProperty("content").GetProperty("statusText").GetProperty("en").GetString());
        Assert.Equal("\"d3\"", saved.Headers.ETag!.ToString());
        Assert.Equal(3, await container.ListAsync($"{id}/drafts/v").CountAsync());
    }

    /// <summary>Sends every blob write twice, as a client does when the first answer is lost: the second answer is the one seen.</summary>
    private sealed class SendTwicePolicy : HttpPipelinePolicy
    {
        private int _repeated;

        public int Repeated => _repeated;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.Contains("/s/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _repeated);
                message.Response.Dispose();
                await ProcessNextAsync(message, pipeline);
            }
        }
    }
}
