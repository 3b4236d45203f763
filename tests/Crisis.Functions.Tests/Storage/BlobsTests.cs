using Azure;
using Azure.Storage.Blobs.Models;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class BlobsTests
{
    [Fact]
    public async Task A_written_blob_reads_back_with_its_content_type_and_etag()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("crisis/v000001.json");

        var etag = await blob.WriteAsync(BinaryData.FromString("""{"ok":true}"""), "application/json; charset=utf-8");
        var read = await blob.ReadAsync();

        Assert.Equal("""{"ok":true}""", read.Content.ToString());
        Assert.Equal("application/json; charset=utf-8", read.ContentType);
        Assert.Equal(etag, read.ETag);
        Assert.False(read.NotModified);
        Assert.NotNull(read.LastModified);
    }

    [Fact]
    public async Task A_missing_blob_is_null_or_not_found()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("nope.json");

        Assert.Null(await blob.ReadIfExistsAsync());
        await Assert.ThrowsAsync<NotFoundException>(() => blob.ReadAsync());
        Assert.False(await blob.RemoveAsync());
    }

    [Fact]
    public async Task If_none_match_with_the_current_etag_is_not_modified_without_content()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("page.json");
        var etag = await blob.WriteAsync(BinaryData.FromString("{}"), "application/json");

        var read = await blob.ReadIfExistsAsync(new BlobRequestConditions { IfNoneMatch = etag });

        Assert.NotNull(read);
        Assert.True(read.NotModified);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(0, read.Content.ToMemory().Length);
    }

    [Fact]
    public async Task Create_only_and_replace_only_writes_are_guarded_and_change_nothing_when_refused()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("doc.json");
        var first = await blob.WriteAsync(BinaryData.FromString("1"), "text/plain", Blobs.CreateOnly);
        var second = await blob.WriteAsync(BinaryData.FromString("2"), "text/plain", new BlobRequestConditions { IfMatch = first });

        await Assert.ThrowsAsync<AlreadyExistsException>(() => blob.WriteAsync(BinaryData.FromString("x"), "text/plain", Blobs.CreateOnly));
        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => blob.WriteAsync(BinaryData.FromString("y"), "text/plain", new BlobRequestConditions { IfMatch = first }));
        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => blob.RemoveAsync(new BlobRequestConditions { IfMatch = first }));

        var read = await blob.ReadAsync();
        Assert.Equal("2", read.Content.ToString());
        Assert.Equal(second, read.ETag);
    }

    [Fact]
    public async Task Listing_by_prefix_returns_every_blob_under_it_in_name_order()
    {
        var container = await TestStorage.NewContainerAsync();
        foreach (var name in new[] { "a/v000002.json", "a/v000001.json", "a/current.json", "ab/v000001.json", "b/v000001.json" })
        {
            await container.GetBlobClient(name).WriteAsync(BinaryData.FromString(name), "text/plain");
        }

        var names = await container.ListAsync("a/v").Select(b => b.Name).ToListAsync();

        Assert.Equal(["a/v000001.json", "a/v000002.json"], names);
    }

    [Fact]
    public async Task A_lease_excludes_other_holders_and_writers_until_released()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("manifest.json");
        await blob.WriteAsync(BinaryData.Empty, "application/json");

        var lease = await blob.TakeLeaseAsync(TimeSpan.FromSeconds(15));

        var held = await Assert.ThrowsAsync<AlreadyExistsException>(() => blob.TakeLeaseAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal("LeaseAlreadyPresent", held.ErrorCode);
        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => blob.WriteAsync(BinaryData.FromString("x"), "application/json"));
        await blob.WriteAsync(BinaryData.FromString("mine"), "application/json", new BlobRequestConditions { LeaseId = lease });

        await blob.ReleaseLeaseAsync(lease);
        var next = await blob.TakeLeaseAsync(TimeSpan.FromSeconds(15));
        Assert.NotEqual(lease, next);
        Assert.Equal("mine", (await blob.ReadAsync()).Content.ToString());
    }
}
