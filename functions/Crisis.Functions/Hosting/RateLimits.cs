using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Crisis.Functions.Feedback;
using Crisis.Functions.PublicPages;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Hosting;

/// <summary>Per-client limits on the anonymous routes. Reads are generous (many people share one address behind a carrier NAT).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    [Range(1, 1_000_000)]
    public int PublicReadsPerMinute { get; set; } = 1200;

    [Range(1, 10_000)]
    public int PublicWritesPerMinute { get; set; } = 20;

    /// <summary>Requests to subscribe per client address (each may send a confirmation message).</summary>
    [Range(1, 10_000)]
    public int SubscribesPerMinute { get; set; } = 10;

    /// <summary>
    /// How many proxies in front of the Functions host append the client's address to X-Forwarded-For (Azure's
    /// front end: 1, which the Bicep template sets). Only that many entries, counted from the right, are believed;
    /// 0 ignores the header, so a client cannot pick its own rate-limit bucket by sending one.
    /// </summary>
    [Range(0, 5)]
    public int TrustedForwarders { get; set; }
}

/// <summary>
/// The per-client limits of the anonymous functions, one partitioned limiter per policy, consulted by
/// <see cref="HttpFunctionMiddleware"/> before a function marked <c>[Public(policy)]</c> runs.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly Dictionary<string, PartitionedRateLimiter<HttpContext>> _limiters;

    public RateLimits(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limits = options.Value;
        _limiters = new(StringComparer.Ordinal)
        {
            [PublicApi.ReadPolicy] = PerClient(limits.PublicReadsPerMinute),
            [FeedbackApi.WritePolicy] = PerClient(limits.PublicWritesPerMinute),
            [Subscriptions.SubscriptionsFunctions.SubscribePolicy] = PerClient(limits.SubscribesPerMinute),
        };
    }

    /// <summary>A permit for this request under <paramref name="policy"/>; the caller answers <see cref="Rejected"/> when it is not acquired.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(string policy, HttpContext context) =>
        _limiters.TryGetValue(policy, out var limiter)
            ? limiter.AcquireAsync(context, 1, context?.RequestAborted ?? default)
            : throw new InvalidOperationException($"No rate limit policy is named '{policy}'.");

    /// <summary>
    /// The 429 for a refused permit, with Retry-After: a page in the reader's language when the function answers people
    /// with pages (<see cref="HttpFunction.AnswersWithPage"/>), else the problem.
    /// </summary>
    public static IResult Rejected(RateLimitLease lease, HttpFunction function, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(request);
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? (int)Math.Ceiling(wait.TotalSeconds) : 60;
        request.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return function.AnswersWithPage(request)
            ? Pages.HtmlPage.TooManyRequests(request, retryAfter)
            : Problems.Create(429, Problems.RateLimited, "Too many requests", $"Too many requests from this address; try again in {retryAfter} s.");
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }

    /// <summary>
    /// The bucket of a client address: IPv4 as is; IPv6 by its /64, the block one subscriber line or host usually
    /// holds whole (so rotating through it buys nothing).
    /// </summary>
    public static string ClientKey(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    private static PartitionedRateLimiter<HttpContext> PerClient(int permits) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetFixedWindowLimiter(
            ClientKey(context.Connection.RemoteIpAddress),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
}

public static class RateLimitsServiceCollectionExtensions
{
    public static IServiceCollection AddCrisisRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // The worker's peer is always the Functions host on loopback, which passes X-Forwarded-For on as it came.
        // Only the entries the trusted front ends appended (the rightmost TrustedForwarders) name the client; the
        // worker's own pipeline applies these options before any function runs.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var hops = limits.Value.TrustedForwarders;
            o.ForwardedHeaders = hops == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor;
            o.ForwardLimit = Math.Max(hops, 1);
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Add(System.Net.IPAddress.Loopback);
            o.KnownProxies.Add(System.Net.IPAddress.IPv6Loopback);
        });
        services.AddSingleton<RateLimits>();
        return services;
    }
}
