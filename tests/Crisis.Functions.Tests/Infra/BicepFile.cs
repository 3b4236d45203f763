using System.Text;
using System.Text.RegularExpressions;

namespace Crisis.Functions.Tests.Infra;

/// <summary>
/// A Bicep file read as text: no Bicep compiler is reachable from the build machines, so the tests check
/// structure (balanced brackets, declarations, references) rather than compile.
/// </summary>
public sealed partial class BicepFile
{
    public BicepFile(string path)
    {
        Path = path;
        Text = File.ReadAllText(path);
        Code = StripStringsAndComments(Text);
    }

    public string Path { get; }

    public string Text { get; }

    /// <summary>The text with string literals emptied and comments removed: what brackets and names are counted in.</summary>
    public string Code { get; }

    /// <summary>Declared parameters, and whether each has a default value.</summary>
    public Dictionary<string, bool> Parameters() =>
        ParamDeclaration().Matches(Code).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["default"].Success);

    public IEnumerable<(string Symbol, string Source, string Body)> Modules() =>
        ModuleDeclaration().Matches(Text).Select(m => (m.Groups["symbol"].Value, m.Groups["path"].Value, Block(Text, m.Index + m.Length - 1)));

    /// <summary>The names given at the top level of a module's <c>params: { ... }</c> block.</summary>
    public static IReadOnlyList<string> ModuleArguments(string moduleBody)
    {
        var start = moduleBody.IndexOf("params: {", StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }

        var block = Block(moduleBody, start + "params: ".Length);
        var names = new List<string>();
        var depth = 0;
        foreach (var line in block.Split('\n'))
        {
            if (depth == 1 && ArgumentLine().Match(line) is { Success: true } match)
            {
                names.Add(match.Groups["name"].Value);
            }

            depth += line.Count(c => c is '{' or '[') - line.Count(c => c is '}' or ']');
        }

        return names;
    }

    /// <summary>How often an identifier occurs as a whole word in the code.</summary>
    public int Occurrences(string identifier) => Regex.Count(Code, $@"(?<![\w.]){Regex.Escape(identifier)}\b")
        + Regex.Count(Text, $@"\$\{{[^}}]*\b{Regex.Escape(identifier)}\b");

    public static bool IsBalanced(string code)
    {
        var stack = new Stack<char>();
        foreach (var c in code)
        {
            if (c is '{' or '[' or '(')
            {
                stack.Push(c);
            }
            else if (c is '}' or ']' or ')')
            {
                if (stack.Count == 0 || stack.Pop() != (c == '}' ? '{' : c == ']' ? '[' : '('))
                {
                    return false;
                }
            }
        }

        return stack.Count == 0;
    }

    private static string Block(string text, int openBrace)
    {
        var depth = 0;
        for (var i = openBrace; i < text.Length; i++)
        {
            depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
            if (depth == 0)
            {
                return text[openBrace..(i + 1)];
            }
        }

        return text[openBrace..];
    }

    private static string StripStringsAndComments(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                result.Append('\n');
            }
            else if (text[i] == '\'')
            {
                result.Append("''");
                for (i++; i < text.Length && text[i] != '\''; i++)
                {
                    if (text[i] == '\\')
                    {
                        i++;
                    }
                }
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }

    [GeneratedRegex(@"^param\s+(?<name>\w+)\s+\w+(?<default>\s*=)?", RegexOptions.Multiline)]
    private static partial Regex ParamDeclaration();

    [GeneratedRegex(@"^module\s+(?<symbol>\w+)\s+'(?<path>[^']+)'\s*=\s*\{", RegexOptions.Multiline)]
    private static partial Regex ModuleDeclaration();

    [GeneratedRegex(@"^\s*(?<name>\w+)\s*:")]
    private static partial Regex ArgumentLine();
}
