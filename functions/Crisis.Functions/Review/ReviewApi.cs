using System.Text;
using Crisis.Functions.Crises;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Review;

/// <summary>The post-crisis review: JSON for tools, Markdown for people. Computed when asked, from what is stored now.</summary>
public static class ReviewApi
{
    public static IEndpointRouteBuilder MapReview(this IEndpointRouteBuilder routes)
    {
        var admin = routes.AdminCrisesGroup("Admin: review");
        admin.MapGet("/{id}/review", Json).AsFunction("GetCrisisReview", FunctionAuthLevel.Function);
        admin.MapGet("/{id}/review.md", Markdown).AsFunction("GetCrisisReviewMarkdown", FunctionAuthLevel.Function);
        return routes;
    }

    public static async Task<Ok<ReviewReport>> Json(string id, ReviewService review, CancellationToken cancellationToken) =>
        TypedResults.Ok(await review.BuildAsync(id, cancellationToken));

    public static async Task<ContentHttpResult> Markdown(string id, ReviewService review, CancellationToken cancellationToken) =>
        TypedResults.Content(ReviewMarkdown.Render(await review.BuildAsync(id, cancellationToken)), "text/markdown", Encoding.UTF8);
}
