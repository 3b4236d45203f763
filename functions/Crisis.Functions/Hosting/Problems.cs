using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Hosting;

/// <summary>Stable RFC 9457 problem types: clients branch on <c>type</c>, never on <c>title</c> or <c>detail</c>.</summary>
public static class Problems
{
    public const string TypePrefix = "urn:crisis-functions:problem:";

    public const string InvalidJson = TypePrefix + "invalid-json";
    public const string InvalidInvocation = TypePrefix + "invalid-timer-invocation";
    public const string TimerFailed = TypePrefix + "timer-failed";
    public const string StorageUnavailable = TypePrefix + "storage-unavailable";
    public const string InternalError = TypePrefix + "internal-error";
    public const string PayloadTooLarge = TypePrefix + "payload-too-large";
    public const string UnsupportedMediaType = TypePrefix + "unsupported-media-type";
    public const string ValidationFailed = TypePrefix + "validation-failed";
    public const string InvalidId = TypePrefix + "invalid-id";
    public const string NotFound = TypePrefix + "not-found";
    public const string IllegalTransition = TypePrefix + "illegal-transition";
    public const string Conflict = TypePrefix + "conflict";
    public const string PreconditionFailed = TypePrefix + "precondition-failed";
    public const string Unauthenticated = TypePrefix + "unauthenticated";
    public const string Forbidden = TypePrefix + "forbidden";
    public const string RateLimited = TypePrefix + "rate-limited";
    public const string InvalidQuery = TypePrefix + "invalid-query";
    public const string InvalidToken = TypePrefix + "invalid-token";
    public const string TokenExpired = TypePrefix + "token-expired";
    public const string TokenUsed = TypePrefix + "token-used";
    public const string IdempotencyKeyReused = TypePrefix + "idempotency-key-reused";

    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);
}
