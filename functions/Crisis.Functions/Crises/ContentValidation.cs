using System.Globalization;
using System.Text.RegularExpressions;
using Crisis.Functions.Common;

namespace Crisis.Functions.Crises;

/// <summary>The limits of public content, checked before anything is written.</summary>
public static partial class ContentValidation
{
    public const int MaxFaqEntries = 300;

    public const int MaxStatusText = 1000;

    public const int MaxKeyDates = 50;

    public const int MaxLabel = 200;

    public const int MaxPolicies = 30;

    public const int MaxPolicyTitle = 200;

    public const int MaxPolicyText = 4000;

    public const int MaxChannels = 30;

    public const int MaxNote = 500;

    public const int MaxResources = 50;

    public const int MaxResourceTitle = 200;

    public const int MaxResourceDescription = 1000;

    public const int MaxQuestion = 500;

    public const int MaxAnswer = 5000;

    public const int MaxFaqOrder = 10_000;

    /// <summary>The longest key (policy key, FAQ category) <see cref="KeyPattern"/> matches, declared as the OpenAPI maxLength.</summary>
    public const int MaxKey = 40;

    public static Validation Validate(CrisisContent content, CrisisRecord crisis)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(crisis);
        var v = new Validation();
        var languages = crisis.Languages;
        var fallback = crisis.DefaultLanguage;

        v.Localised("statusText", content.StatusText, languages, fallback, MaxStatusText, required: false);

        v.Count("keyDates", content.KeyDates, MaxKeyDates);
        for (var i = 0; i < content.KeyDates.Count; i++)
        {
            v.Localised($"keyDates[{i}].label", content.KeyDates[i].Label, languages, fallback, MaxLabel);
        }

        v.Count("policies", content.Policies, MaxPolicies);
        Unique(v, "policies", content.Policies.Select(p => p.Key));
        for (var i = 0; i < content.Policies.Count; i++)
        {
            var policy = content.Policies[i];
            Key(v, $"policies[{i}].key", policy.Key);
            v.Localised($"policies[{i}].title", policy.Title, languages, fallback, MaxPolicyTitle);
            v.Localised($"policies[{i}].text", policy.Text, languages, fallback, MaxPolicyText);
        }

        v.Count("channels", content.Channels, MaxChannels);
        for (var i = 0; i < content.Channels.Count; i++)
        {
            var channel = content.Channels[i];
            v.Url($"channels[{i}].contact", channel.Contact, allowContactSchemes: true);
            v.Localised($"channels[{i}].note", channel.Note, languages, fallback, MaxNote, required: false);
        }

        v.Count("resources", content.Resources, MaxResources);
        for (var i = 0; i < content.Resources.Count; i++)
        {
            var resource = content.Resources[i];
            v.Url($"resources[{i}].url", resource.Url);
            v.Localised($"resources[{i}].title", resource.Title, languages, fallback, MaxResourceTitle);
            v.Localised($"resources[{i}].description", resource.Description, languages, fallback, MaxResourceDescription, required: false);
        }

        v.Count("faq", content.Faq, MaxFaqEntries);
        Unique(v, "faq", content.Faq.Select(f => f.Id));
        for (var i = 0; i < content.Faq.Count; i++)
        {
            var entry = content.Faq[i];
            if (!CrisisIds.IsWellFormedChild(entry.Id))
            {
                v.Add($"faq[{i}].id", "must be 1-64 letters, digits, '-' or '_'.");
            }

            Key(v, $"faq[{i}].category", entry.Category);
            if (entry.Order is < 0 or > MaxFaqOrder)
            {
                v.Add($"faq[{i}].order", "must be between 0 and 10000.");
            }

            v.Localised($"faq[{i}].question", entry.Question, languages, fallback, MaxQuestion);
            v.Localised($"faq[{i}].answer", entry.Answer, languages, fallback, MaxAnswer);
        }

        return v;
    }

    private static void Key(Validation v, string field, string? key)
    {
        if (key is null || !KeyPattern().IsMatch(key))
        {
            v.Add(field, "must be 1-40 lowercase letters, digits or '-'.");
        }
    }

    private static void Unique(Validation v, string field, IEnumerable<string?> keys)
    {
        foreach (var duplicate in keys.Where(k => k is not null).GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            v.Add(field, string.Create(CultureInfo.InvariantCulture, $"'{duplicate.Key}' appears {duplicate.Count()} times; keys must be unique."));
        }
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\\z")]
    private static partial Regex KeyPattern();
}
