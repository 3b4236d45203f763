using System.Globalization;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Common;

/// <summary>
/// Collects what is wrong with an input, keyed by the JSON path of the offending field, and turns it into one
/// RFC 9457 validation problem. Texts may hold any script but no control characters other than line breaks and tabs.
/// </summary>
public sealed class Validation
{
    public const int MaxUrl = 2000;

    /// <summary>The longest email address (RFC 5321's path limit less its brackets).</summary>
    public const int MaxEmail = 254;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>A required or optional text: trimmed length within bounds, no control characters.</summary>
    public void Text(string field, string? value, int maxLength, bool required = true, bool multiline = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }

            return;
        }

        if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters.");
        }

        if (value.Any(c => char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t')))
        {
            Add(field, multiline ? "must not contain control characters." : "must be a single line without control characters.");
        }

        if (UnicodeText.Problem(value) is { } problem)
        {
            Add(field, problem);
        }
    }

    /// <summary>A text per language: keys are offered languages, the default language is present, each text valid.</summary>
    public void Localised(string field, IReadOnlyDictionary<string, string>? texts, IReadOnlyCollection<string> languages, string defaultLanguage, int maxLength, bool required = true)
    {
        if (texts is null || texts.Count == 0)
        {
            if (required)
            {
                Add(field, $"is required, at least in {defaultLanguage}.");
            }

            return;
        }

        foreach (var (language, text) in texts)
        {
            if (!languages.Contains(language))
            {
                Add($"{field}.{language}", $"'{language}' is not one of the crisis' languages ({string.Join(", ", languages)}).");
                continue;
            }

            Text($"{field}.{language}", text, maxLength);
        }

        if (required && !texts.ContainsKey(defaultLanguage))
        {
            Add(field, $"needs a text in the default language '{defaultLanguage}'.");
        }
    }

    /// <summary>An optional language tag known to ICU: its normal form ("en-gb" → "en-GB"), or null when absent or unknown (recorded).</summary>
    public string? Language(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        var normalised = Languages.Normalise(value);
        if (normalised is null)
        {
            Add(field, "must be a known language tag, e.g. \"en\" or \"pt-BR\".");
        }

        return normalised;
    }

    /// <summary>An absolute http(s) URL, or a tel:/mailto:/sms: link when <paramref name="allowContactSchemes"/>.</summary>
    public void Url(string field, string? value, bool required = true, bool allowContactSchemes = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }

            return;
        }

        var schemes = allowContactSchemes ? new[] { "http", "https", "tel", "mailto", "sms" } : ["http", "https"];
        if (value.Length > MaxUrl || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme)
            || value.Any(char.IsControl) || value.Any(char.IsWhiteSpace))
        {
            Add(field, $"must be an absolute {string.Join("/", schemes)} URL.");
        }
    }

    /// <summary>An email address a message can be sent to: one address, no display name, no header-breaking characters.</summary>
    public void Email(string field, string? value)
    {
        if (value is not null && !IsEmailAddress(value))
        {
            Add(field, "must be an email address.");
        }
    }

    public static bool IsEmailAddress(string value) =>
        value.Length <= MaxEmail && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
        && System.Net.Mail.MailAddress.TryCreate(value, out var address) && address.Address == value && address.Host.Contains('.', StringComparison.Ordinal);

    public void Count<T>(string field, IReadOnlyCollection<T>? items, int max)
    {
        if (items is not null && items.Count > max)
        {
            Add(field, $"must hold at most {max.ToString(CultureInfo.InvariantCulture)} items.");
        }
    }

    /// <summary>The same validation problem (an <c>errors</c> map) under another problem type, for code whose result type is a plain problem.</summary>
    public ProblemHttpResult ToProblemResult(string type, string title, string detail) =>
        TypedResults.Problem(new HttpValidationProblemDetails(Errors()) { Status = StatusCodes.Status400BadRequest, Type = type, Title = title, Detail = detail });

    public ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(
            Errors(),
            detail: "One or more fields are invalid; nothing was changed.",
            title: "Invalid request",
            type: Problems.ValidationFailed);

    private Dictionary<string, string[]> Errors() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
