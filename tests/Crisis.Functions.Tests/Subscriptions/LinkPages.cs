using System.Net;
using System.Text.RegularExpressions;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>A browser's part in the link pages, over plain HTTP: ask for HTML, find a page's forms, send them back.</summary>
public static partial class LinkPages
{
    public sealed record Page(HttpResponseMessage Response, string Html)
    {
        public HttpStatusCode Status => Response.StatusCode;
    }

    public sealed record Form(string Action, string Token);

    public static async Task<Page> GetAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        var response = await client.SendAsync(request);
        return new Page(response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The page's forms that post to a path ending in <paramref name="actionPath"/> (before its query), with their guard tokens.</summary>
    public static Form FormTo(string html, string actionPath)
    {
        var forms = FormPattern().Matches(html).Select(m => new Form(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Where(f => f.Action.Split('?')[0].EndsWith(actionPath, StringComparison.Ordinal)).ToList();
        Assert.True(forms.Count == 1, $"expected one form to {actionPath} in: {html}");
        return forms[0];
    }

    public static async Task<Page> PostAsync(HttpClient client, string action, IEnumerable<KeyValuePair<string, string>> fields, string? fetchSite = "same-origin")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Accept.ParseAdd("text/html");
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        var response = await client.SendAsync(request);
        return new Page(response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends <paramref name="form"/> as the page would: its guard token and <paramref name="fields"/>.</summary>
    public static Task<Page> SendAsync(HttpClient client, Form form, params (string Name, string Value)[] fields) =>
        PostAsync(client, form.Action, fields.Select(f => KeyValuePair.Create(f.Name, f.Value)).Prepend(KeyValuePair.Create("form", form.Token)));

    /// <summary>The text of the page's first heading.</summary>
    public static string Heading(string html) => WebUtility.HtmlDecode(HeadingPattern().Match(html).Groups[1].Value);

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"><input type=\"hidden\" name=\"form\" value=\"([^\"]+)\">")]
    private static partial Regex FormPattern();

    [GeneratedRegex("<h1>(.*?)</h1>")]
    private static partial Regex HeadingPattern();
}
