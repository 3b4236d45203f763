using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.Metadata;

namespace Crisis.Functions.Pages;

/// <summary>The function reads a page's form (<c>application/x-www-form-urlencoded</c>) through <see cref="FormGuard"/>, and answers with a page.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class PageFormAttribute(params int[] problems) : RequestBodyAttribute(problems), IAcceptsMetadata
{
    public const string ContentType = "application/x-www-form-urlencoded";

    public override bool HasBody => true;

    IReadOnlyList<string> IAcceptsMetadata.ContentTypes => [ContentType];

    Type? IAcceptsMetadata.RequestType => null;

    bool IAcceptsMetadata.IsOptional => false;
}
