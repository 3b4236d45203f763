using System.ComponentModel.DataAnnotations;

namespace Crisis.Functions.PublicPages;

public sealed class PublicPagesOptions
{
    public const string Section = "PublicPages";

    /// <summary>Absolute base URL of this API as the public reaches it, for links in pages and feeds.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("http://localhost:7071");

    /// <summary>How long an instance serves a published version from memory before asking storage (cheaply, by ETag) whether it changed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RevalidateAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Cache-Control max-age of public reads, in seconds.</summary>
    [Range(0, 3600)]
    public int MaxAgeSeconds { get; set; } = 15;

    /// <summary>Named as the author of the Atom feeds.</summary>
    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string Publisher { get; set; } = "Crisis communications team";
}
