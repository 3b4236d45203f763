using Azure;
using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Blobs;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class BlobClientTests
{
    [Fact]
    public async Task Container_creation_reports_whether_it_created()
    {
        var container = await TestStorage.NewContainerAsync();
        Assert.False(await container.CreateIfNotExistsAsync());
        Assert.True(await container.ExistsAsync());
        await container.DeleteAsync();
        Assert.False(await container.ExistsAsync());
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("ab")]
    [InlineData("a--b")]
    [InlineData("-ab")]
    [InlineData("a_b")]
    public void Invalid_container_names_are_refused(string name)
    {
        var service = new BlobServiceClient(TestStorage.Pipeline("UseDevelopmentStorage=true", StorageService.Blob));
        Assert.Throws<ArgumentException>(() => service.GetBlobContainerClient(name));
    }

    [Fact]
    public async Task Put_then_get_round_trips_content_type_and_etag()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("pages/en/crisis page.json");
        var written = await blob.UploadAsync(BinaryData.FromString("{\"title\":\"Überschwemmung\"}"), "application/json; charset=utf-8");

        var read = await blob.DownloadContentAsync();

        Assert.Equal("{\"title\":\"Überschwemmung\"}", read.Content.ToString());
        Assert.Equal("application/json; charset=utf-8", read.ContentType);
        Assert.Equal(written.ETag, read.ETag);
        Assert.False(read.NotModified);
    }

    [Fact]
    public async Task If_none_match_with_the_current_etag_is_not_modified()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("doc");
        var written = await blob.UploadAsync(BinaryData.FromString("v1"));

        var cached = await blob.DownloadContentAsync(new BlobRequestConditions(IfNoneMatch: written.ETag));
        Assert.True(cached.NotModified);
        Assert.Equal(written.ETag, cached.ETag);

        await blob.UploadAsync(BinaryData.FromString("v2"));
        var fresh = await blob.DownloadContentAsync(new BlobRequestConditions(IfNoneMatch: written.ETag));
        Assert.False(fresh.NotModified);
        Assert.Equal("v2", fresh.Content.ToString());
    }

    [Fact]
    public async Task Create_only_and_replace_only_writes_are_guarded_by_etags()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("versions/1");
        var first = await blob.UploadAsync(BinaryData.FromString("one"), conditions: new BlobRequestConditions(IfNoneMatch: ETag.All));

        await Assert.ThrowsAsync<StorageConflictException>(() =>
            blob.UploadAsync(BinaryData.FromString("again"), conditions: new BlobRequestConditions(IfNoneMatch: ETag.All)));

        var second = await blob.UploadAsync(BinaryData.FromString("two"), conditions: new BlobRequestConditions(IfMatch: first.ETag));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            blob.UploadAsync(BinaryData.FromString("stale"), conditions: new BlobRequestConditions(IfMatch: first.ETag)));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            blob.DeleteAsync(new BlobRequestConditions(IfMatch: first.ETag)));

        Assert.Equal("two", (await blob.DownloadContentAsync()).Content.ToString());
        Assert.True(await blob.DeleteAsync(new BlobRequestConditions(IfMatch: second.ETag)));
        Assert.False(await blob.DeleteAsync());
        Assert.Null(await blob.DownloadContentIfExistsAsync());
        await Assert.ThrowsAsync<StorageNotFoundException>(() => blob.DownloadContentAsync());
    }

    [Fact]
    public async Task Listing_by_prefix_follows_continuation_markers()
    {
        var container = await TestStorage.NewContainerAsync();
        foreach (var name in new[] { "a/1", "a/2", "a/3", "a/4", "a/5", "b/1", "ab" })
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(name));
        }

        var listed = await container.GetBlobsAsync("a/", pageSize: 2).ToListAsync();

        Assert.Equal(["a/1", "a/2", "a/3", "a/4", "a/5"], listed.Select(b => b.Name));
        Assert.All(listed, b => Assert.Equal(3, b.ContentLength));
        Assert.All(listed, b => Assert.NotEqual(default, b.ETag));
        Assert.Equal(7, await container.GetBlobsAsync().CountAsync());
    }

    [Fact]
    public async Task Lease_excludes_others_until_released_or_broken()
    {
        var container = await TestStorage.NewContainerAsync();
        var blob = container.GetBlobClient("locks/fan-out");
        await blob.UploadAsync(BinaryData.Empty);

        var mine = blob.GetBlobLeaseClient();
        var theirs = blob.GetBlobLeaseClient();
        await mine.AcquireAsync(TimeSpan.FromSeconds(15));

        var conflict = await Assert.ThrowsAsync<StorageConflictException>(() => theirs.AcquireAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal("LeaseAlreadyPresent", conflict.ErrorCode);
        var missing = await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => blob.UploadAsync(BinaryData.FromString("x")));
        Assert.Equal("LeaseIdMissing", missing.ErrorCode);
        await blob.UploadAsync(BinaryData.FromString("x"), conditions: new BlobRequestConditions(LeaseId: mine.LeaseId));

        await mine.RenewAsync();
        await mine.ReleaseAsync();
        await theirs.AcquireAsync(BlobLeaseClient.InfiniteDuration);

        Assert.Equal(TimeSpan.Zero, await mine.BreakAsync(TimeSpan.Zero));
        await mine.AcquireAsync(TimeSpan.FromSeconds(20));
        await Assert.ThrowsAsync<StorageConflictException>(() => theirs.RenewAsync());
    }

    [Fact]
    public async Task Lease_durations_outside_the_service_range_are_refused()
    {
        var service = new BlobServiceClient(TestStorage.Pipeline("UseDevelopmentStorage=true", StorageService.Blob));
        var lease = service.GetBlobContainerClient("abc").GetBlobClient("x").GetBlobLeaseClient();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => lease.AcquireAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => lease.AcquireAsync(TimeSpan.FromSeconds(61)));
    }
}
