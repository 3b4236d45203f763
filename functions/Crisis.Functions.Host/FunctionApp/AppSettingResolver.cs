using System.Text.RegularExpressions;

namespace Crisis.Functions.Host.FunctionApp;

/// <summary>
/// Resolves %NAME% references as the Functions host does: app settings first, then environment variables, then
/// the worker's own appsettings.json (the defaults the worker itself starts with, e.g. the timers' schedules).
/// </summary>
internal sealed partial class AppSettingResolver(IReadOnlyDictionary<string, string?> appSettings, IReadOnlyDictionary<string, string?> appDefaults)
{
    public string? Find(string name) =>
        appSettings.TryGetValue(name, out var value) && value is not null
            ? value
            : Environment.GetEnvironmentVariable(name) ?? appDefaults.GetValueOrDefault(name);

    /// <summary>The text with every %NAME% replaced, or the first setting that is not defined.</summary>
    public (string? Resolved, string? MissingSetting) Resolve(string text)
    {
        string? missing = null;
        var resolved = SettingReference().Replace(text, match =>
        {
            var name = match.Groups["name"].Value;
            var value = Find(name);
            missing ??= value is null ? name : null;
            return value ?? match.Value;
        });
        return missing is null ? (resolved, null) : (null, missing);
    }

    [GeneratedRegex("%(?<name>[^%]+)%")]
    private static partial Regex SettingReference();
}
