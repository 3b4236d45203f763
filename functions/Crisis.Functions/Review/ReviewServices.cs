namespace Crisis.Functions.Review;

public static class ReviewServices
{
    /// <summary>The post-crisis review.</summary>
    public static IServiceCollection AddReview(this IServiceCollection services) => services.AddSingleton<ReviewService>();
}
