namespace Crisis.Functions.Common;

/// <summary>URL-safe base64 without padding (RFC 4648 §5), for tokens and tags that travel in URLs and headers.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Decodes; <see cref="FormatException"/> when the text is not the one canonical base64url spelling of its bytes
    /// (no padding, no '+' or '/', no stray bits in the last character), so a token has exactly one accepted form.
    /// </summary>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('+', StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal) || text.Contains('=', StringComparison.Ordinal))
        {
            throw new FormatException("Not base64url: '+', '/' and padding are not used.");
        }

        var base64 = text.Replace('-', '+').Replace('_', '/');
        var bytes = Convert.FromBase64String(base64 + new string('=', (4 - (base64.Length % 4)) % 4));
        return Encode(bytes) == text ? bytes : throw new FormatException("Not the canonical base64url spelling.");
    }
}
