using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
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
}

public static class RateLimits
{
    public static IServiceCollection AddCrisisRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Behind the Functions host (and App Service's front end) the client's address arrives in X-Forwarded-For.
        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PublicApi.ReadPolicy, context => PerClient(context, l => l.PublicReadsPerMinute));
            o.AddPolicy(FeedbackApi.WritePolicy, context => PerClient(context, l => l.PublicWritesPerMinute));
            o.AddPolicy(Subscriptions.SubscriptionsApi.SubscribePolicy, context => PerClient(context, l => l.SubscribesPerMinute));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? (int)Math.Ceiling(wait.TotalSeconds) : 60;
                var response = context.HttpContext.Response;
                response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                response.ContentType = "application/problem+json";
                await response.WriteAsync(JsonSerializer.Serialize(new
                {
                    type = Problems.RateLimited,
                    title = "Too many requests",
                    status = 429,
                    detail = $"Too many requests from this address; try again in {retryAfter} s.",
                }), cancellationToken);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> PerClient(HttpContext context, Func<RateLimitOptions, int> limit)
    {
        var permits = limit(context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value);
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }
}
