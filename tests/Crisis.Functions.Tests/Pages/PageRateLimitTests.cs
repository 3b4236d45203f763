using System.Net;
using Crisis.Functions.Hosting;
using Crisis.Functions.Messages;
using Crisis.Functions.Pages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Pages;

/// <summary>
/// One app allowing a single request a minute per client on every anonymous policy, behind one trusted front end, so
/// each test names a client address of its own (X-Forwarded-For) and has a bucket of its own.
/// </summary>
public sealed class StrictLimitsApp : IAsyncLifetime
{
    private int _clients;

    public CrisisAppFactory App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["RateLimits:PublicReadsPerMinute"] = "1",
            ["RateLimits:PublicWritesPerMinute"] = "1",
            ["RateLimits:SubscribesPerMinute"] = "1",
            ["RateLimits:TrustedForwarders"] = "1",
        });
        Client = App.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }

    /// <summary>A client address no other test uses.</summary>
    public string NewClientAddress() => $"203.0.113.{Interlocked.Increment(ref _clients)}";
}

/// <summary>A person refused by the rate limit on a page or a page's form reads a page in their language; API clients still read a problem.</summary>
public class PageRateLimitTests(StrictLimitsApp shared) : IClassFixture<StrictLimitsApp>
{
    /// <summary>Sends the same request twice from one client address; the second is past the limit of one a minute.</summary>
    private async Task<HttpResponseMessage> SecondOfTwoAsync(Func<HttpRequestMessage> request)
    {
        var address = shared.NewClientAddress();
        foreach (var attempt in new[] { 1, 2 })
        {
            var message = request();
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", address);
            var response = await shared.Client.SendAsync(message);
            if (attempt == 2)
            {
                return response;
            }

            Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        throw new InvalidOperationException("Two requests were sent.");
    }

    private static async Task AssertPageAsync(HttpResponseMessage response, string language)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HtmlPage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var html = await response.Content.ReadAsStringAsync();
        Assert.StartsWith($"<!doctype html><html lang=\"{language}\" dir=\"{(language == "fa" ? "rtl" : "ltr")}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<h1>{WebUtility.HtmlEncode(MessageCatalogue.Text(MessageKeys.PageTooManyTitle, language))}</h1>", html, StringComparison.Ordinal);
        var text = MessageCatalogue.Text(MessageKeys.PageTooManyText, language, ("seconds", MessageCatalogue.Number(retryAfter, language)));
        Assert.Contains(WebUtility.HtmlEncode(text), html, StringComparison.Ordinal);
        Assert.DoesNotContain("problem", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("cy")]
    [InlineData("gu")]
    [InlineData("id")]
    [InlineData("sw")]
    [InlineData("fa")]
    public async Task An_html_page_past_the_limit_answers_429_with_retry_after_and_a_page_in_the_readers_language(string language)
    {
        var response = await SecondOfTwoAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/c?lang={language}"));

        await AssertPageAsync(response, language);
    }

    [Fact]
    public async Task A_page_form_past_the_limit_answers_a_page_in_the_language_the_browser_asks_for()
    {
        var response = await SecondOfTwoAsync(() =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, "/api/c/no-such-crisis/subscribe")
            {
                Content = new FormUrlEncodedContent([KeyValuePair.Create("email", "limited@example.org")]),
            };
            message.Headers.Add("Sec-Fetch-Site", "same-origin");
            message.Headers.Add("Accept-Language", "cy, en;q=0.5");
            return message;
        });

        await AssertPageAsync(response, "cy");
    }

    [Fact]
    public async Task A_link_page_past_the_limit_answers_a_browser_with_a_page_and_an_api_client_with_a_problem()
    {
        HttpRequestMessage Manage(string? accept)
        {
            var message = new HttpRequestMessage(HttpMethod.Get, "/api/subscriptions/manage?token=x.y.z&lang=fa");
            if (accept is not null)
            {
                message.Headers.Add("Accept", accept);
            }

            return message;
        }

        await AssertPageAsync(await SecondOfTwoAsync(() => Manage("text/html,application/xhtml+xml,*/*;q=0.8")), "fa");

        var api = await SecondOfTwoAsync(() => Manage(null));
        var problem = await api.AssertProblemAsync(HttpStatusCode.TooManyRequests, Problems.RateLimited);
        Assert.Contains("try again", problem.GetProperty("detail").GetString()!, StringComparison.Ordinal);
        Assert.True(api.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task A_json_route_past_the_limit_keeps_its_problem_even_when_a_browser_asks_for_html()
    {
        var response = await SecondOfTwoAsync(() =>
        {
            var message = new HttpRequestMessage(HttpMethod.Get, "/api/crises");
            message.Headers.Add("Accept", "text/html,*/*;q=0.8");
            return message;
        });

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, Problems.RateLimited);
        Assert.True(response.Headers.Contains("Retry-After"));
    }
}
