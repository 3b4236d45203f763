using System.Text;
using System.Text.RegularExpressions;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Reads raw messages from the SMTP sink: base64 MIME parts decoded in place, header lines unfolded.</summary>
public static partial class Mime
{
    public static string Decode(string message) =>
        Base64Part().Replace(
            message.Replace("\r\n", "\n", StringComparison.Ordinal),
            m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups["data"].Value.Replace("\n", "", StringComparison.Ordinal))));

    /// <summary>The value of a header, continuation lines joined.</summary>
    public static string? Header(string message, string name)
    {
        var headers = message.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n")[0].Replace("\n ", " ", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal);
        return headers.Split('\n').FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
    }

    [GeneratedRegex(@"Content-Transfer-Encoding: base64\n\n(?<data>[A-Za-z0-9+/=\n]+)")]
    private static partial Regex Base64Part();
}
