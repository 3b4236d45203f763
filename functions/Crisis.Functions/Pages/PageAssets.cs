using System.Security.Cryptography;
using Crisis.Functions.Hosting;
using Crisis.Functions.PublicPages;
using Microsoft.Azure.Functions.Worker;

namespace Crisis.Functions.Pages;

/// <summary>
/// The files pages load, embedded in the app: each is served with a strong ETag of its bytes and cached for a year
/// under a URL that carries the same hash, so a new release is fetched at once and an unchanged one never again.
/// </summary>
[Public(PublicApi.ReadPolicy)]
[Tags("Pages")]
public sealed class PageAssets
{
    private static readonly Asset Stylesheet = Asset.Load("site.css", "text/css; charset=utf-8");

    private static readonly Asset FrameScript = Asset.Load("embed-frame.js", "text/javascript; charset=utf-8");

    /// <summary>The stylesheet's URL, versioned by its hash.</summary>
    public static string StylesheetUrl { get; } = "/api/pages/site.css?v=" + Stylesheet.Version;

    /// <summary>The framed banner's script (its dismiss button), versioned by its hash.</summary>
    public static string FrameScriptUrl { get; } = "/api/pages/embed-frame.js?v=" + FrameScript.Version;

    [Function("GetPageStylesheet")]
    [EndpointSummary("The stylesheet every page shares (no web fonts, light and dark, print, reduced motion, right to left).")]
    public static IResult GetStylesheet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "pages/site.css")] HttpRequest request) => Stylesheet.Serve(request);

    [Function("GetBannerFrameScript")]
    [EndpointSummary("The framed banner's script: its dismiss button hides the banner and remembers the dismissed text (the frame works without it).")]
    public static IResult GetFrameScript([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "pages/embed-frame.js")] HttpRequest request) => FrameScript.Serve(request);

    /// <summary>One embedded file with its content type, hash and ETag.</summary>
    public sealed class Asset
    {
        private Asset(byte[] bytes, string contentType)
        {
            Bytes = bytes;
            ContentType = contentType;
            Version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
            ETag = "\"" + Version + "\"";
        }

        public byte[] Bytes { get; }

        public string ContentType { get; }

        public string Version { get; }

        public string ETag { get; }

        /// <summary>Reads <paramref name="name"/> embedded beside this class (Pages/{name}).</summary>
        public static Asset Load(string name, string contentType)
        {
            using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream("Crisis.Functions.Pages." + name)
                ?? throw new InvalidOperationException($"The page asset {name} is not embedded in the app.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return new Asset(copy.ToArray(), contentType);
        }

        /// <summary>200 with the bytes, or 304 when the client holds this version.</summary>
        public IResult Serve(HttpRequest request)
        {
            ArgumentNullException.ThrowIfNull(request);
            var headers = request.HttpContext.Response.Headers;
            headers.ETag = ETag;
            headers.CacheControl = "public, max-age=31536000, immutable";
            headers.XContentTypeOptions = "nosniff";
            return request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == ETag || t.Trim() == "*"))
                ? TypedResults.StatusCode(304)
                : TypedResults.Bytes(Bytes, ContentType);
        }
    }
}
