using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crisis.Functions.Common;

/// <summary>A request body read into <typeparamref name="T"/>, or the problem that explains why it could not be.</summary>
public readonly record struct BodyResult<T>(T? Value, ProblemHttpResult? Problem)
{
    public bool IsValid => Problem is null;
}

/// <summary>
/// Reads JSON request bodies strictly: a size limit whatever Content-Length says, no unknown properties,
/// no wrong types, required properties present. Every failure is a 4xx problem naming what was wrong: where
/// malformed JSON breaks off, or (in <c>errors</c>) each property path that does not fit and what it expects.
/// </summary>
public static class JsonBody
{
    public static readonly JsonSerializerOptions Options = CreateOptions();

    private static readonly JsonContract Contract = new(Options);

    public static async Task<BodyResult<T>> ReadAsync<T>(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } contentType && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !contentType.Contains("+json", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, Problems.Create(415, Problems.UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."));
        }

        JsonDocument document;
        try
        {
            document = await RequestBody.ParseJsonAsync(request, maxBytes, cancellationToken);
        }
        catch (RequestBodyTooLargeException e)
        {
            return new(null, Problems.Create(413, Problems.PayloadTooLarge, "Request body too large", e.Message));
        }
        catch (JsonException e)
        {
            // The reader's message says what it met; the position says where (both counted from 1 here, from 0 by the reader).
            var where = e.LineNumber is { } line && e.BytePositionInLine is { } position
                ? $" at line {line + 1}, byte {position + 1}"
                : "";
            return new(null, Problems.Create(400, Problems.InvalidJson, "Malformed JSON body", $"The body is not valid JSON{where}: {FirstSentence(e.Message)}"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(null, Problems.Create(400, Problems.InvalidJson, "Malformed JSON body", "The body must be a JSON object."));
            }

            var errors = new Validation();
            Contract.Check(document.RootElement, typeof(T), "", errors);
            if (!errors.IsValid)
            {
                return new(null, errors.ToProblemResult(Problems.InvalidJson, "Invalid request body", "The body does not fit this request; nothing was changed."));
            }

            try
            {
                return new(document.RootElement.Deserialize<T>(Options), null);
            }
            catch (JsonException e)
            {
                // The contract check passed but the serializer still refused a value: name where, never its .NET message.
                var field = JsonContract.Name(e.Path is { } path ? path.TrimStart('$').TrimStart('.') : "");
                errors.Add(field, "is not a valid value here.");
                return new(null, errors.ToProblemResult(Problems.InvalidJson, "Invalid request body", "The body does not fit this request; nothing was changed."));
            }
        }
    }

    /// <summary>Checks a request read from elsewhere (a page's form) against the same contract as a JSON body of its type: the problem, or null.</summary>
    public static ProblemHttpResult? Check<T>(T value)
        where T : class
    {
        var errors = new Validation();
        Contract.Check(JsonSerializer.SerializeToElement(value, Options), typeof(T), "", errors);
        return errors.IsValid ? null : errors.ToProblemResult(Problems.ValidationFailed, "Invalid request", "One or more fields are invalid; nothing was changed.");
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }

    /// <summary>Applies the app's JSON conventions (also used for every HTTP response) to <paramref name="options"/>.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowTrailingCommas = false;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.MaxDepth = 32;

        // Every script stays readable; characters that matter in HTML (<, >, &, quotes) are still escaped.
        options.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
