using Microsoft.AspNetCore.Http.Metadata;

namespace Crisis.Functions.Hosting;

/// <summary>
/// What a write function (POST, PUT, PATCH) reads besides its route and query: a JSON body, a form, or deliberately
/// nothing. The OpenAPI document describes the request body from it, and the problems the function answers beyond
/// those every route of its kind does (the access, rate-limit, body and storage problems are added by rule).
/// Every write function carries exactly one: the function catalog refuses a write function without one, so no
/// HTTP function runs until it is added.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public abstract class RequestBodyAttribute(int[] problems) : Attribute
{
    /// <summary>Problem statuses this function answers besides the ones its kind of route answers by rule.</summary>
    public IReadOnlyList<int> Problems { get; } = problems;

    /// <summary>The function takes an optional <c>If-Match</c> ETag and answers 412 when it is stale (and 409 on a concurrent change).</summary>
    public bool IfMatch { get; init; }

    /// <summary>Whether the function reads a body at all.</summary>
    public abstract bool HasBody { get; }
}

/// <summary>The function reads a JSON object deserialised as <see cref="Type"/> (through <c>JsonBody.ReadAsync</c>).</summary>
public sealed class JsonBodyAttribute(Type type, params int[] problems) : RequestBodyAttribute(problems), IAcceptsMetadata
{
    public const string ContentType = "application/json";

    public Type Type { get; } = type;

    public override bool HasBody => true;

    IReadOnlyList<string> IAcceptsMetadata.ContentTypes => [ContentType];

    Type? IAcceptsMetadata.RequestType => Type;

    bool IAcceptsMetadata.IsOptional => false;
}

/// <summary>The function reads an <c>application/x-www-form-urlencoded</c> form whose one field must hold one value.</summary>
public sealed class FormBodyAttribute(string field, string value, params int[] problems) : RequestBodyAttribute(problems)
{
    public const string ContentType = "application/x-www-form-urlencoded";

    public string Field { get; } = field;

    public string Value { get; } = value;

    public override bool HasBody => true;
}

/// <summary>
/// The function reads an HTML page's form (<c>application/x-www-form-urlencoded</c>): the form guard's hidden field
/// (<c>form</c>, refused with 403 when missing, forged, expired or sent from another site) and <see cref="Fields"/>.
/// </summary>
public sealed class PageFormAttribute(params string[] fields) : RequestBodyAttribute([403])
{
    /// <summary>The form guard's hidden field (Pages.FormGuard.FieldName).</summary>
    public const string GuardField = "form";

    public IReadOnlyList<string> Fields { get; } = fields;

    public override bool HasBody => true;
}

/// <summary>The function reads no body: everything it needs is in its route, query or headers.</summary>
public sealed class NoBodyAttribute(params int[] problems) : RequestBodyAttribute(problems)
{
    public override bool HasBody => false;
}
