using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Common;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Pages;
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
        ".banner{box-sizing:border-box;display:flex;flex-wrap:wrap;align-items:flex-start;gap:.5em 1em;margin:0;padding:.75em 1em;background:#fff4ce;color:#1f1f1f;border-inline-start:.4em solid #8a4b00}" +
        ".banner p{margin:0;flex:1 1 16em;white-space:pre-line}.banner form{margin:0}.banner a{color:#0b3d91}" +
        ".banner button{font:inherit;padding:.25em .75em;color:#1f1f1f;background:#fff;border:1px solid #1f1f1f;border-radius:.25em;cursor:pointer}" +
        ".banner a:focus-visible,.banner button:focus-visible{outline:2px solid #0b3d91;outline-offset:2px}";

    /// <summary>
    /// The framed page loads only this app's dismiss script; its one style block is allowed by its hash. Any site may
    /// frame it (that is what it is for); its one form (dismiss) asks this app for the frame again, and its link opens
    /// in the top window.
    /// </summary>
    public static readonly string FrameContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(FrameStyle)))}'; script-src 'self'; frame-ancestors *; form-action 'self'; base-uri 'none'";

    /// <summary>The query parameter of the dismiss form: the version the visitor dismissed.</summary>
    public const string DismissedParameter = "dismissed";

    /// <summary>The script with the banner's words in every catalogue language, rendered once, with its strong ETag.</summary>
    public static CachedDocument Script { get; } = new(Encoding.UTF8.GetBytes(LoadScript().Replace("/*LABELS*/{}", Labels(), StringComparison.Ordinal)), ScriptContentType);

    /// <summary>
    /// The page to frame for <paramref name="language"/>: the banner while a crisis overrides the touchpoint, with its
    /// dismiss button (a form asking for this page marked dismissed, which the script turns into a remembered
    /// dismissal), else, or once <paramref name="dismissed"/>, an empty page.
    /// </summary>
    public static CachedDocument Frame(TouchpointView view, string language, bool dismissed = false)
    {
        ArgumentNullException.ThrowIfNull(view);
        var words = MessageCatalogue.Resolve(language);
        var label = MessageCatalogue.Text(MessageKeys.BannerLabel, words);
        var shown = view.IsCrisisOverride && !dismissed;
        var html = new StringBuilder(1024);
        html.Append("<!doctype html><html lang=\"").Append(Encode(language)).Append("\" dir=\"").Append(Languages.Direction(language)).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">")
            .Append("<title>").Append(Encode(label)).Append("</title><style>").Append(FrameStyle).Append("</style>");
        if (shown)
        {
            html.Append("<script defer src=\"").Append(Encode(PageAssets.FrameScriptUrl)).Append("\"></script>");
        }

        html.Append("</head><body>");
        if (shown)
        {
            var answer = view.Answer(language);
            var touchpoint = view.Published.TouchpointId;
            html.Append("<div class=\"banner\" role=\"region\" aria-label=\"").Append(Encode(label)).Append("\" lang=\"").Append(Encode(language)).Append("\" dir=\"").Append(answer.Dir)
                .Append("\" data-touchpoint=\"").Append(Encode(touchpoint)).Append("\" data-version=\"").Append(Encode(view.Version)).Append("\"><p>")
                .Append(Encode(answer.Text));
            if (answer.Link is { } link)
            {
                html.Append(" <a href=\"").Append(Encode(link)).Append("\" target=\"_top\">").Append(Encode(MessageCatalogue.Text(MessageKeys.BannerLink, words))).Append("</a>");
            }

            html.Append("</p><form method=\"get\" action=\"").Append(Encode(FramePath(touchpoint))).Append("\">")
                .Append("<input type=\"hidden\" name=\"lang\" value=\"").Append(Encode(language)).Append("\">")
                .Append("<input type=\"hidden\" name=\"").Append(DismissedParameter).Append("\" value=\"").Append(Encode(view.Version)).Append("\">")
                .Append("<button type=\"submit\">").Append(Encode(MessageCatalogue.Text(MessageKeys.BannerDismiss, words))).Append("</button></form></div>");
        }

        html.Append("</body></html>");
        return new CachedDocument(Encoding.UTF8.GetBytes(html.ToString()), "text/html; charset=utf-8");
    }

    /// <summary>Where the page to frame for <paramref name="touchpointId"/> is, on this app.</summary>
    public static string FramePath(string touchpointId) => $"/{FunctionsOpenApi.RoutePrefix}/touchpoints/{touchpointId}/embed.html";

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
