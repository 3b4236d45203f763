using Crisis.Functions.Common;
using Crisis.Functions.Hosting;

namespace Crisis.Functions.Crises;

/// <summary>Input found invalid deep inside an operation (after reading current state): nothing was written.</summary>
public sealed class InvalidInputException(Validation validation) : Exception("The input is invalid.")
{
    public Validation Validation { get; } = validation;
}

/// <summary>Turns what crisis operations refuse into RFC 9457 problems, for every HTTP function.</summary>
public static class CrisisProblems
{
    /// <summary>The problem for an exception a crisis operation throws on purpose, or null for any other exception.</summary>
    public static IResult? ToProblem(Exception exception) => exception switch
    {
        CrisisNotFoundException e => Problems.Create(404, Problems.NotFound, "Not found", e.Message),
        IllegalTransitionException e => Problems.Create(409, Problems.IllegalTransition, "Illegal lifecycle transition", e.Message,
            new Dictionary<string, object?> { ["from"] = e.From.ToString().ToLowerInvariant(), ["to"] = e.To.ToString().ToLowerInvariant() }),
        CrisisReadOnlyException e => Problems.Create(409, Problems.Conflict, "Crisis is archived", e.Message),
        UpdateNotPublicException e => Problems.Create(409, Problems.Conflict, "Not a public update", e.Message),
        VersionMismatchException e => Problems.Create(412, Problems.PreconditionFailed, "Changed by someone else", e.Message),
        InvalidInputException e => e.Validation.ToProblem(),
        _ => null,
    };
}

/// <summary>Refuses route ids that cannot name anything (quotes, slashes, control characters, overlong) before any storage call.</summary>
public static class RouteIds
{
    /// <summary>The 400 problem for the first route value that is not a well-formed id, or null when all are.</summary>
    public static IResult? Problem(RouteValueDictionary values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (name, value) in values)
        {
            var text = value as string;
            var valid = name == "id" ? CrisisIds.IsWellFormed(text) : CrisisIds.IsWellFormedChild(text);
            if (!valid)
            {
                return Problems.Create(400, Problems.InvalidId, "Invalid id", $"'{name}' is not a well-formed id.");
            }
        }

        return null;
    }
}
