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

    /// <summary>The Subject header, its RFC 2047 encoded words decoded (a relay or library may encode only the words that need it).</summary>
    public static string Subject(string message) =>
        EncodedWord().Replace(Header(message, "Subject") ?? "", m => m.Groups[1].Value.Equals("B", StringComparison.OrdinalIgnoreCase)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[2].Value))
            : Encoding.UTF8.GetString(QuotedPrintable(m.Groups[2].Value.Replace('_', ' '))));

    private static byte[] QuotedPrintable(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '=' && i + 2 < text.Length)
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }

        return [.. bytes];
    }

    // RFC 2047: whitespace between two encoded words is dropped; between an encoded word and plain text it stays.
    [GeneratedRegex(@"=\?utf-8\?([BQ])\?([^?]*)\?=(?:\s+(?==\?utf-8\?))?", RegexOptions.IgnoreCase)]
    private static partial Regex EncodedWord();

    [GeneratedRegex(@"Content-Transfer-Encoding: base64\n\n(?<data>[A-Za-z0-9+/=\n]+)")]
    private static partial Regex Base64Part();
}
