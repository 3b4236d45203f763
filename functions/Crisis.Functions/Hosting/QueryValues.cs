using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Hosting;

/// <summary>
/// Documents a query string parameter the function reads (with <see cref="QueryValues"/>), so the OpenAPI document
/// lists it: function methods take only the request, not one parameter per query value.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class QueryParameterAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>Whether the value is a whole number (else text).</summary>
    public bool IsInteger { get; init; }
}

/// <summary>Reads query string parameters of HTTP functions, refusing malformed ones with a problem that names them.</summary>
public static class QueryValues
{
    /// <summary>An optional query parameter's text (the first value), or null when absent.</summary>
    public static string? Text(HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Query.TryGetValue(name, out var values) ? values.FirstOrDefault() : null;
    }

    /// <summary>An optional integer query parameter: false, with a 400 problem naming it, when present but not an integer.</summary>
    public static bool TryInt(HttpRequest request, string name, out int? value, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
        if (Text(request, name) is not { } text)
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        problem = Problems.Create(400, Problems.InvalidQuery, "Invalid query", $"{name} must be a whole number.");
        return false;
    }
}
