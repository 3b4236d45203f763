using System.Text;
using Crisis.Functions.Access;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Review;

/// <summary>The post-crisis review: JSON for tools, Markdown for people. Computed when asked, from what is stored now.</summary>
[RequiresPolicy(Policies.Admin)]
[Tags("Admin: review")]
public sealed class ReviewFunctions(ReviewService review)
{
    [Function("GetCrisisReview")]
    public async Task<Ok<ReviewReport>> Json(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/review")] HttpRequest request, string id) =>
        TypedResults.Ok(await review.BuildAsync(id, request.HttpContext.RequestAborted));

    [Function("GetCrisisReviewMarkdown")]
    public async Task<ContentHttpResult> Markdown(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/crises/{id}/review.md")] HttpRequest request, string id) =>
        TypedResults.Content(ReviewMarkdown.Render(await review.BuildAsync(id, request.HttpContext.RequestAborted)), "text/markdown", Encoding.UTF8);
}
