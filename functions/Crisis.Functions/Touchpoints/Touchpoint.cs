using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Crisis.Functions.Common;

namespace Crisis.Functions.Touchpoints;

public enum TouchpointKind
{
    ContactPageNotice,
    WebsiteBanner,
    EmailFooter,
    SocialProfile,
    HelpArticleNotice,
    PhoneMessage,
    Other,
}

/// <summary>A customer-facing place that shows text (a banner, an email footer, a phone message) and its normal, non-crisis content.</summary>
public sealed record Touchpoint(string Id, TouchpointKind Kind, string Name, string DefaultLanguage, Dictionary<string, string> Normal);

public sealed record TouchpointRequest(
    TouchpointKind Kind,
    [property: MaxLength(TouchpointValidation.MaxName)] string Name,
    [property: MaxLength(Languages.MaxTag)] string DefaultLanguage,
    [property: LocalisedText(TouchpointValidation.MaxText)] Dictionary<string, string> Normal);

public sealed record OverrideRequest([property: LocalisedText(TouchpointValidation.MaxText)] Dictionary<string, string> Text);

public static partial class TouchpointValidation
{
    public const int MaxText = 4000;

    /// <summary>Read by the validation and, through the request's attribute, by the OpenAPI schema.</summary>
    public const int MaxName = 200;

    public static bool IsWellFormedId(string? id) => id is not null && Id().IsMatch(id);

    public static Validation Validate(TouchpointRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var v = new Validation();
        v.Text("name", request.Name, MaxName, multiline: false);
        if (Languages.Normalise(request.DefaultLanguage) is null)
        {
            v.Add("defaultLanguage", "must be a language tag such as 'en'.");
        }

        ValidateTexts(v, "normal", request.Normal, request.DefaultLanguage);
        return v;
    }

    /// <summary>Texts per language: known tags, the default language present, each within bounds.</summary>
    public static void ValidateTexts(Validation v, string field, Dictionary<string, string>? texts, string defaultLanguage)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (texts is null || texts.Count == 0)
        {
            v.Add(field, "is required.");
            return;
        }

        foreach (var (language, text) in texts)
        {
            if (Languages.Normalise(language) != language)
            {
                v.Add($"{field}.{language}", "is not a language tag in its normal form, such as 'en' or 'pt-BR'.");
            }

            v.Text($"{field}.{language}", text, MaxText);
        }

        if (!texts.ContainsKey(defaultLanguage))
        {
            v.Add(field, $"needs a text in the default language '{defaultLanguage}'.");
        }
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\\z")]
    private static partial Regex Id();
}
