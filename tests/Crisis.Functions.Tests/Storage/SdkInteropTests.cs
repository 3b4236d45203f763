using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

/// <summary>What our clients write, the official Azure SDKs (@azure/data-tables, @azure/storage-blob) read identically, and the reverse.</summary>
public class SdkInteropTests
{
    private static readonly DateTimeOffset When = SampleEntities.When;
    private static readonly Guid Id = SampleEntities.Id;
    private const string Text = SampleEntities.Text;

    [Fact]
    public async Task Entity_written_by_us_reads_back_with_the_same_types_in_the_javascript_sdk()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(SampleEntities.AllTypes());

        var read = await RunSdkAsync("readEntity", new { connectionString = await ConnectionStringAsync(), table = table.Name, partitionKey = "p", rowKey = "r" });
        var properties = read["properties"]!;

        Assert.Equal(("String", Text), Typed(properties["Text"]));
        Assert.Equal(("Int32", "42"), Typed(properties["Int"]));
        Assert.Equal(("Int64", "9007199254740993"), Typed(properties["Long"]));
        Assert.Equal(("Double", "2.5"), Typed(properties["Double"]));
        // The service answers a whole double as 3.0 without a type annotation, whoever wrote it; JavaScript's
        // JSON.parse cannot tell 3.0 from 3, so the JS SDK calls it Int32. The value is what must survive.
        Assert.Equal(3.0, double.Parse(Typed(properties["WholeDouble"]).Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("Boolean", "true"), Typed(properties["Flag"]));
        Assert.Equal("DateTime", Typed(properties["When"]).Type);
        Assert.Equal(When, DateTimeOffset.Parse(Typed(properties["When"]).Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("Guid", Id.ToString()), Typed(properties["Id"]));
        Assert.Equal(("Binary", Convert.ToBase64String([0, 1, 2, 254, 255])), Typed(properties["Bytes"]));
    }

    [Fact]
    public async Task Entity_written_by_the_javascript_sdk_reads_back_with_the_same_types_here()
    {
        var table = await TestStorage.NewTableAsync();
        await RunSdkAsync("writeEntity", new { connectionString = await ConnectionStringAsync(), table = table.Name, partitionKey = "p", rowKey = "r" });

        var entity = await table.GetEntityAsync("p", "r");

        Assert.Equal(Text, entity.GetString("Text"));
        Assert.Equal(42, entity["Int"]);
        Assert.Equal(9_007_199_254_740_993L, entity["Long"]);
        Assert.Equal(2.5, entity["Double"]);
        Assert.Equal(3.0, entity["WholeDouble"]);
        Assert.Equal(true, entity["Flag"]);
        Assert.Equal(When, entity["When"]);
        Assert.Equal(Id, entity["Id"]);
        Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, entity["Bytes"]);
    }

    [Fact]
    public async Task Blobs_round_trip_bytes_content_type_and_etag_both_ways()
    {
        var container = await TestStorage.NewContainerAsync();
        var bytes = Encoding.UTF8.GetBytes(Text).Concat(new byte[] { 0, 255, 128 }).ToArray();
        var ours = await container.GetBlobClient("ours/dokument.json").UploadAsync(BinaryData.FromBytes(bytes), "application/json; charset=utf-8");

        var read = await RunSdkAsync("readBlob", new { connectionString = await ConnectionStringAsync(), container = container.Name, name = "ours/dokument.json" });
        Assert.Equal(Convert.ToBase64String(bytes), read["contentBase64"]!.GetValue<string>());
        Assert.Equal("application/json; charset=utf-8", read["contentType"]!.GetValue<string>());
        Assert.Equal(ours.ETag.ToString(), read["etag"]!.GetValue<string>());

        var written = await RunSdkAsync("writeBlob", new
        {
            connectionString = await ConnectionStringAsync(),
            container = container.Name,
            name = "theirs/página.txt",
            contentBase64 = Convert.ToBase64String(bytes),
            contentType = "text/plain; charset=utf-8",
        });
        var theirs = await container.GetBlobClient("theirs/página.txt").DownloadContentAsync();
        Assert.Equal(bytes, theirs.Content.ToArray());
        Assert.Equal("text/plain; charset=utf-8", theirs.ContentType);
        Assert.Equal(written["etag"]!.GetValue<string>(), theirs.ETag.ToString());
    }

    private static (string Type, string Value) Typed(JsonNode? node) =>
        (node!["type"]!.GetValue<string>(), node["value"]!.GetValue<string>());

    private static async Task<string> ConnectionStringAsync() => (await TestAzurite.GetAsync()).ConnectionString;

    private static async Task<JsonNode> RunSdkAsync(string command, object arguments)
    {
        var result = await NodeScript.RunAsync("sdk-interop.mjs", [command, JsonSerializer.Serialize(arguments)]);
        Assert.True(result.ExitCode == 0, $"node {command} failed: {result.Error}");
        return JsonNode.Parse(result.Output)!;
    }
}
