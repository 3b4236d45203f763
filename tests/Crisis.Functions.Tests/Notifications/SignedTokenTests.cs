using Crisis.Functions.Notifications;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>A signed link has exactly one accepted spelling: no variant of a valid token verifies.</summary>
public class SignedTokenTests
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly SignedTokens Tokens = new(Options.Create(new TokenOptions
    {
        SigningKeys = [new TokenKey { Id = "k1", Secret = Convert.ToBase64String(new byte[32]) }],
    }), TimeProvider.System);

    public static TheoryData<string> Variants()
    {
        var token = Tokens.Create("subscription-confirm", "sub-1|n", TimeSpan.FromHours(1));
        var last = token[^1];
        var sameBits = Alphabet[Alphabet.IndexOf(last, StringComparison.Ordinal) ^ 1];
        return
        [
            token + "=",
            token[..^1] + sameBits,
            token.Replace('-', '+').Replace('_', '/') is var standard && standard != token ? standard : token + "==",
            " " + token,
            token.Replace(".", "..", StringComparison.Ordinal),
        ];
    }

    [Fact]
    public void The_token_as_issued_verifies()
    {
        var token = Tokens.Create("subscription-confirm", "sub-1|n", TimeSpan.FromHours(1));

        Assert.Equal(TokenCheck.Valid, Tokens.Verify(token, "subscription-confirm", out _));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Another_spelling_of_a_valid_token_does_not_verify(string variant) =>
        Assert.NotEqual(TokenCheck.Valid, Tokens.Verify(variant, "subscription-confirm", out _));
}
