namespace Crisis.Functions.Hosting;

/// <summary>
/// The HTTP function needs a credential whose role satisfies <see cref="Policy"/> (<c>admin</c> or <c>agent</c>).
/// On a function class it applies to every function of the class; <see cref="HttpFunctionMiddleware"/> checks it
/// before the function runs, so a function never sees an unauthenticated caller.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class RequiresPolicyAttribute(string policy) : Attribute
{
    public string Policy { get; } = policy;
}

/// <summary>
/// The HTTP function is anonymous. With a <see cref="RateLimitPolicy"/> each client address is limited by that
/// policy (see <see cref="RateLimits"/>); without one it is not limited (health, the OpenAPI document).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
public sealed class PublicAttribute(string? rateLimitPolicy = null) : Attribute
{
    public string? RateLimitPolicy { get; } = rateLimitPolicy;
}

/// <summary>
/// The HTTP function serves a page people reach from a link in a message (confirm, manage, unsubscribe): its
/// response loads nothing, runs nothing, posts only to itself, cannot be framed (no clickjacking of its buttons)
/// and is not cached. <see cref="HttpFunctionMiddleware"/> sets the headers.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class LinkPageAttribute : Attribute;
