using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public sealed class TokenKey
{
    public string Id { get; set; } = "";

    /// <summary>Base64 of at least 32 random bytes.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>
/// Keys for signed links. The first key signs; every key verifies, so a key is rotated by putting a new one
/// first and removing the old one once its links have expired.
/// </summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    public List<TokenKey> SigningKeys { get; set; } = [];
}

/// <summary>The claims of a signed link: what it is for, what it is about, until when.</summary>
public sealed record TokenClaims(string Purpose, string Subject, DateTimeOffset ExpiresAt);

public enum TokenCheck
{
    Valid,
    Malformed,
    BadSignature,
    WrongPurpose,
    Expired,
}

/// <summary>
/// Compact HMAC-SHA256 tokens for links in messages: <c>{key id}.{base64url claims}.{base64url mac}</c>. A token
/// is single-purpose (the purpose is signed and checked) and expires.
/// </summary>
public sealed class SignedTokens(IOptions<TokenOptions> options, TimeProvider time)
{
    /// <summary>The longest token accepted.</summary>
    public const int MaxLength = 2048;

    public string Create(string purpose, string subject, TimeSpan lifetime)
    {
        var key = options.Value.SigningKeys.FirstOrDefault() ?? throw new InvalidOperationException("No signing key is configured (Tokens:SigningKeys).");
        var claims = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(new TokenClaims(purpose, subject, time.GetUtcNow() + lifetime)));
        var signed = $"{key.Id}.{claims}";
        return $"{signed}.{Base64Url.Encode(Mac(key, signed))}";
    }

    public TokenCheck Verify(string? token, string purpose, out TokenClaims? claims)
    {
        claims = null;
        var parts = token?.Split('.');
        if (parts is not { Length: 3 } || token!.Length > MaxLength)
        {
            return TokenCheck.Malformed;
        }

        var key = options.Value.SigningKeys.FirstOrDefault(k => k.Id == parts[0]);
        byte[] mac;
        byte[] payload;
        try
        {
            mac = Base64Url.Decode(parts[2]);
            payload = Base64Url.Decode(parts[1]);
        }
        catch (FormatException)
        {
            return TokenCheck.Malformed;
        }

        if (key is null || !CryptographicOperations.FixedTimeEquals(mac, Mac(key, $"{parts[0]}.{parts[1]}")))
        {
            return TokenCheck.BadSignature;
        }

        try
        {
            claims = JsonSerializer.Deserialize<TokenClaims>(payload);
        }
        catch (JsonException)
        {
            return TokenCheck.Malformed;
        }

        if (claims is null)
        {
            return TokenCheck.Malformed;
        }

        if (claims.Purpose != purpose)
        {
            return TokenCheck.WrongPurpose;
        }

        return claims.ExpiresAt < time.GetUtcNow() ? TokenCheck.Expired : TokenCheck.Valid;
    }

    private static byte[] Mac(TokenKey key, string signed) =>
        HMACSHA256.HashData(Convert.FromBase64String(key.Secret), Encoding.UTF8.GetBytes(signed));
}

/// <summary>What a link that did not verify answers: 410 when it expired (with advice on getting a new one), else 400.</summary>
public static class LinkProblems
{
    public static ProblemHttpResult For(TokenCheck check, string expiredAdvice) => check == TokenCheck.Expired
        ? Problems.Create(410, Problems.TokenExpired, "Link expired", expiredAdvice)
        : Problems.Create(400, Problems.InvalidToken, "Invalid link", "This link is not valid.");
}
