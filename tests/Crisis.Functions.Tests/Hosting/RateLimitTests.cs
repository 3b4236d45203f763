using System.Net;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>A client cannot choose its own rate-limit bucket: X-Forwarded-For counts only as far as trusted front ends wrote it.</summary>
public class RateLimitTests
{
    private static async Task<HttpStatusCode> ReadAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/crises");
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        return (await client.SendAsync(request)).StatusCode;
    }

    private static Task<CrisisAppFactory> BehindOneFrontEndAsync() => CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
    {
        ["RateLimits:PublicReadsPerMinute"] = "2",
        ["RateLimits:TrustedForwarders"] = "1",
    });

    [Fact]
    public async Task Without_trusted_front_ends_a_forged_forwarded_address_buys_no_new_bucket()
    {
        await using var app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["RateLimits:PublicReadsPerMinute"] = "2" });
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "198.51.100.2"));

        Assert.Equal(HttpStatusCode.TooManyRequests, await ReadAsync(client, "198.51.100.3"));
    }

    [Fact]
    public async Task Behind_one_trusted_front_end_only_the_address_it_appended_names_the_client()
    {
        await using var app = await BehindOneFrontEndAsync();
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "6.6.6.1, 203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "6.6.6.2, 203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ReadAsync(client, "6.6.6.3, 203.0.113.7"));

        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "203.0.113.8:51234"));
    }

    [Fact]
    public async Task Ipv6_clients_share_a_bucket_per_64_block()
    {
        await using var app = await BehindOneFrontEndAsync();
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "2001:db8:1:2::1"));
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ReadAsync(client, "2001:db8:1:2::ffff"));

        Assert.Equal(HttpStatusCode.OK, await ReadAsync(client, "2001:db8:1:3::1"));
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    public void A_client_address_maps_to_its_bucket(string address, string bucket) =>
        Assert.Equal(bucket, RateLimits.ClientKey(IPAddress.Parse(address)));
}
