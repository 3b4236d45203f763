using Crisis.Functions.Hosting;

namespace Crisis.Functions.Pages;

/// <summary>The function reads a page's form (<c>application/x-www-form-urlencoded</c>) through <see cref="FormGuard"/>, and answers with a page.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class PageFormAttribute(params int[] problems) : RequestBodyAttribute(problems)
{
    public override bool HasBody => true;
}
