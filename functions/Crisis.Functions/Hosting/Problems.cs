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
    public const string PayloadTooLarge = TypePrefix + "payload-too-large";

    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);
}
