using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Messages;
using Crisis.Functions.PublicPages;

namespace Crisis.Functions.Touchpoints;

/// <summary>
/// The crisis banner an organisation embeds on its own site: a script (<c>embed.js</c>, one for every touchpoint,
/// named by the tag's <c>data-touchpoint</c>) and, for visitors without script, a page per touchpoint to frame.
/// Both show the touchpoint's text only while a crisis overrides it, with a link to the crisis' public page, in a
/// region named from the message catalogue.
/// </summary>
public static class TouchpointEmbed
{
    public const string ScriptContentType = "text/javascript; charset=utf-8";

    private const string FrameStyle =
        "body{margin:0;font:1rem/1.5 system-ui,sans-serif;background:transparent}" +
        ".banner{box-sizing:border-box;margin:0;padding:.75em 1em;background:#fff4ce;color:#1f1f1f;border-inline-start:.4em solid #8a4b00}" +
        ".banner p{margin:0}.banner a{color:#0b3d91}.banner a:focus-visible{outline:2px solid #0b3d91;outline-offset:2px}";

    /// <summary>
    /// The framed page loads nothing and runs nothing; its one style block is allowed by its hash. Any site may frame
    /// it (that is what it is for); it submits nothing and links out only to the top window.
    /// </summary>
    public static readonly string FrameContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(FrameStyle)))}'; frame-ancestors *; form-action 'none'; base-uri 'none'";

    /// <summary>The script with the banner's words in every catalogue language, rendered once, with its strong ETag.</summary>
    public static CachedDocument Script { get; } = new(Encoding.UTF8.GetBytes(LoadScript().Replace("/*LABELS*/{}", Labels(), StringComparison.Ordinal)), ScriptContentType);

    /// <summary>The page to frame for <paramref name="language"/>: the banner while a crisis overrides the touchpoint, else an empty page.</summary>
    public static CachedDocument Frame(TouchpointView view, string language)
    {
        ArgumentNullException.ThrowIfNull(view);
        var words = MessageCatalogue.Resolve(language);
        var label = MessageCatalogue.Text(MessageKeys.BannerLabel, words);
        var html = new StringBuilder(1024);
        html.Append("<!doctype html><html lang=\"").Append(Encode(language)).Append("\" dir=\"").Append(Languages.Direction(language)).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">")
            .Append("<title>").Append(Encode(label)).Append("</title><style>").Append(FrameStyle).Append("</style></head><body>");
        if (view.IsCrisisOverride)
        {
            var answer = view.Answer(language);
            html.Append("<div class=\"banner\" role=\"region\" aria-label=\"").Append(Encode(label)).Append("\" lang=\"").Append(Encode(language)).Append("\" dir=\"").Append(answer.Dir).Append("\"><p>")
                .Append(Encode(answer.Text));
            if (answer.Link is { } link)
            {
                html.Append(" <a href=\"").Append(Encode(link)).Append("\" target=\"_top\">").Append(Encode(MessageCatalogue.Text(MessageKeys.BannerLink, words))).Append("</a>");
            }

            html.Append("</p></div>");
        }

        html.Append("</body></html>");
        return new CachedDocument(Encoding.UTF8.GetBytes(html.ToString()), "text/html; charset=utf-8");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Labels() =>
        JsonSerializer.Serialize(MessageCatalogue.Languages.ToDictionary(l => l, l => new Dictionary<string, string>
        {
            ["label"] = MessageCatalogue.Text(MessageKeys.BannerLabel, l),
            ["link"] = MessageCatalogue.Text(MessageKeys.BannerLink, l),
            ["dismiss"] = MessageCatalogue.Text(MessageKeys.BannerDismiss, l),
        }));

    private static string LoadScript()
    {
        using var stream = typeof(TouchpointEmbed).Assembly.GetManifestResourceStream("Crisis.Functions.Touchpoints.embed.js")
            ?? throw new InvalidOperationException("The banner script is not embedded in the app.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
