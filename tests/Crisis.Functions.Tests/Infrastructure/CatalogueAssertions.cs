using System.Text.RegularExpressions;
using Crisis.Functions.Messages;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>Checks that a real email is written in one language of the message catalogue.</summary>
public static partial class CatalogueAssertions
{
    /// <summary>
    /// The subject starts as the catalogue's, Content-Language names the language, the HTML part declares its lang
    /// and dir, every fixed part of the given texts is there, and (outside English) no English fixed part is in the body.
    /// </summary>
    public static void InLanguage(string mail, string language, string subjectKey, string[] bodyKeys)
    {
        ArgumentNullException.ThrowIfNull(bodyKeys);
        Assert.Equal(language, Mime.Header(mail, "Content-Language"));
        Assert.StartsWith(FixedParts(MessageCatalogue.Template(subjectKey, language))[0], Mime.Subject(mail), StringComparison.Ordinal);
        var decoded = Mime.Decode(mail);
        Assert.Contains($"<html lang=\"{language}\" dir=\"{Crisis.Functions.Common.Languages.Direction(language)}\">", decoded, StringComparison.Ordinal);
        foreach (var part in bodyKeys.SelectMany(k => FixedParts(MessageCatalogue.Template(k, language))))
        {
            Assert.Contains(part, decoded, StringComparison.Ordinal);
        }

        if (language != MessageCatalogue.Neutral)
        {
            var body = decoded[decoded.IndexOf("\n\n", StringComparison.Ordinal)..];
            foreach (var english in bodyKeys.SelectMany(k => FixedParts(MessageCatalogue.Template(k, MessageCatalogue.Neutral))).Where(p => p.Length > 6))
            {
                Assert.DoesNotContain(english, body, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The text of a template between its placeholders, line by line.</summary>
    public static List<string> FixedParts(string template) =>
        [.. Placeholder().Split(template).Select(p => p.Trim()).Where(p => p.Length > 2)];

    [GeneratedRegex(@"\{[a-z]+\}|\n")]
    private static partial Regex Placeholder();
}
