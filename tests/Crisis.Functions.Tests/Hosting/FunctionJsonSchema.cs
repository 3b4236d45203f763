using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>
/// The documented function.json schema for the bindings this app uses (httpTrigger, http, timerTrigger):
/// required and allowed properties, their types and values, one trigger per function.
/// </summary>
public static partial class FunctionJsonSchema
{
    private static readonly string[] RootProperties = ["bindings", "disabled", "excluded"];
    private static readonly string[] HttpMethods = ["get", "post", "put", "delete", "patch", "head", "options", "trace"];
    private static readonly string[] AuthLevels = ["anonymous", "function", "admin"];

    public static IReadOnlyList<string> Validate(JsonElement root)
    {
        var errors = new List<string>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ["the root must be an object"];
        }

        errors.AddRange(root.EnumerateObject().Where(p => !RootProperties.Contains(p.Name)).Select(p => $"unknown root property '{p.Name}'"));
        if (!root.TryGetProperty("bindings", out var bindings) || bindings.ValueKind != JsonValueKind.Array || bindings.GetArrayLength() == 0)
        {
            errors.Add("'bindings' must be a non-empty array");
            return errors;
        }

        var triggers = 0;
        var hasHttpTrigger = false;
        var hasHttpOutput = false;
        foreach (var binding in bindings.EnumerateArray())
        {
            var type = String(binding, "type", errors);
            var direction = String(binding, "direction", errors);
            var name = String(binding, "name", errors);
            if (name is not null && name != "$return" && !Identifier().IsMatch(name))
            {
                errors.Add($"binding name '{name}' is not an identifier");
            }

            switch (type)
            {
                case "httpTrigger":
                    triggers++;
                    hasHttpTrigger = true;
                    Expect(direction == "in", "httpTrigger direction must be 'in'", errors);
                    Allowed(binding, ["type", "direction", "name", "authLevel", "methods", "route", "webHookType"], errors);
                    Expect(AuthLevels.Contains(String(binding, "authLevel", errors)), "authLevel must be anonymous, function or admin", errors);
                    if (!binding.TryGetProperty("methods", out var methods) || methods.ValueKind != JsonValueKind.Array || methods.GetArrayLength() == 0
                        || methods.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String || !HttpMethods.Contains(m.GetString())))
                    {
                        errors.Add("methods must be a non-empty array of lowercase HTTP methods");
                    }

                    var route = String(binding, "route", errors);
                    Expect(route is not null && !route.StartsWith('/') && !route.StartsWith("api/", StringComparison.Ordinal),
                        "route must be relative to the route prefix (no leading '/' or 'api/')", errors);
                    break;
                case "http":
                    hasHttpOutput = true;
                    Expect(direction == "out", "http binding direction must be 'out'", errors);
                    Allowed(binding, ["type", "direction", "name"], errors);
                    break;
                case "timerTrigger":
                    triggers++;
                    Expect(direction == "in", "timerTrigger direction must be 'in'", errors);
                    Allowed(binding, ["type", "direction", "name", "schedule", "runOnStartup", "useMonitor"], errors);
                    var schedule = String(binding, "schedule", errors);
                    Expect(schedule is not null && (AppSetting().IsMatch(schedule) || schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6),
                        "schedule must be %APP_SETTING% or a 6-field NCRONTAB expression", errors);
                    Optional(binding, "useMonitor", JsonValueKind.True, JsonValueKind.False, errors);
                    if (binding.TryGetProperty("runOnStartup", out var runOnStartup))
                    {
                        Expect(runOnStartup.ValueKind == JsonValueKind.False, "runOnStartup must be false in production", errors);
                    }

                    break;
                default:
                    errors.Add($"binding type '{type}' is not one this app uses");
                    break;
            }
        }

        Expect(triggers == 1, "a function has exactly one trigger", errors);
        Expect(!hasHttpTrigger || hasHttpOutput, "an httpTrigger function needs an http output binding", errors);
        return errors;
    }

    private static string? String(JsonElement binding, string property, List<string> errors)
    {
        if (binding.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        errors.Add($"'{property}' must be a string");
        return null;
    }

    private static void Optional(JsonElement binding, string property, JsonValueKind a, JsonValueKind b, List<string> errors)
    {
        if (binding.TryGetProperty(property, out var value) && value.ValueKind != a && value.ValueKind != b)
        {
            errors.Add($"'{property}' has the wrong type");
        }
    }

    private static void Allowed(JsonElement binding, string[] allowed, List<string> errors) =>
        errors.AddRange(binding.EnumerateObject().Where(p => !allowed.Contains(p.Name)).Select(p => $"unknown binding property '{p.Name}'"));

    private static void Expect(bool condition, string error, List<string> errors)
    {
        if (!condition)
        {
            errors.Add(error);
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex("^%[A-Za-z_][A-Za-z0-9_]*%$")]
    private static partial Regex AppSetting();
}
