using System.Net;
using System.Text;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

public sealed class SubscriptionInputTests : IAsyncLifetime
{
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Theory]
    [InlineData("""{"email":"not-an-address"}""", "email")]
    [InlineData("""{"email":"a@b.org\r\nBcc: victim@example.org"}""", "email")]
    [InlineData("""{"email":"Someone <a@b.org>"}""", "email")]
    [InlineData("""{"phone":"07700900123"}""", "phone")]
    [InlineData("""{"phone":"+44 7700 900123"}""", "phone")]
    [InlineData("""{"phone":"+447700900123\n"}""", "phone")]
    [InlineData("""{"webhookUrl":"http://169.254.169.254/latest/meta-data"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"http://localhost:8080/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"http://10.1.2.3/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"http://[::1]/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"http://[fd00::1]/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"file:///etc/passwd"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"https://user:pw@example.org/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"http://vm/hook"}""", "webhookUrl")]
    [InlineData("""{"webhookUrl":"https://no-such-host.invalid/hook"}""", "webhookUrl")]
    [InlineData("""{"email":"a@b.org","phone":"+447700900123"}""", "contact")]
    [InlineData("""{"language":"en"}""", "contact")]
    [InlineData("""{"email":"a@b.org","language":"xx-notalanguage"}""", "language")]
    [InlineData("""{"email":"a@b.org","scope":"../../etc"}""", "scope")]
    [InlineData("""{"email":"a@b.org","scope":"' or 1 eq 1 or '"}""", "scope")]
    [InlineData("""{"email":"a@b.org","topics":["Refunds!"]}""", "topics[0]")]
    [InlineData("""{"email":"a@b.org","topics":["a","b","c","d","e","f","g","h","i","j","k"]}""", "topics")]
    public async Task Invalid_requests_are_refused_with_the_field_named_and_nothing_is_stored_or_sent(string body, string field)
    {
        var response = await _f.Client.PostAsync("/api/subscriptions", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {problem}");
        await AssertNothingHappenedAsync();
    }

    [Theory]
    [InlineData("{", Problems.InvalidJson, 400)]
    [InlineData("[]", Problems.InvalidJson, 400)]
    [InlineData("""{"email":42}""", Problems.InvalidJson, 400)]
    [InlineData("""{"email":"a@b.org","topics":"refunds"}""", Problems.InvalidJson, 400)]
    [InlineData("""{"email":"a@b.org","isAdmin":true}""", Problems.InvalidJson, 400)]
    public async Task Malformed_bodies_are_refused(string body, string type, int status)
    {
        var response = await _f.Client.PostAsync("/api/subscriptions", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync((HttpStatusCode)status, type);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task Oversized_bodies_wrong_media_types_and_unknown_crises_are_refused()
    {
        var huge = "{\"email\":\"a@b.org\",\"language\":\"" + new string('x', 64 * 1024) + "\"}";
        await (await _f.Client.PostAsync("/api/subscriptions", new StringContent(huge, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, Problems.PayloadTooLarge);
        await (await _f.Client.PostAsync("/api/subscriptions", new StringContent("email=a@b.org", Encoding.UTF8, "application/x-www-form-urlencoded"))).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, Problems.UnsupportedMediaType);
        await (await _f.SubscribeAsync(new { email = "a@b.org", scope = "no-such-crisis" })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);

        using var admin = _f.App.CreateAdminClient();
        var draft = await CrisisFixtures.CreateAsync(admin, CrisisFixtures.NewCrisis("en"));
        await (await _f.SubscribeAsync(new { email = "a@b.org", scope = draft })).AssertProblemAsync(HttpStatusCode.NotFound, Problems.NotFound);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task One_click_unsubscribe_needs_the_rfc_8058_form_and_a_valid_link()
    {
        var confirmed = await _f.SubscribeWebhookAsync("hooks/u");
        var unsubscribe = SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("unsubscribe").GetString()!);
        var manage = SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("manage").GetString()!);

        await (await _f.Client.PostAsync(unsubscribe, null)).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, Problems.UnsupportedMediaType);
        await (await _f.Client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "Yes")]))).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        await (await _f.Client.PostAsync("/api/subscriptions/unsubscribe" + manage[manage.IndexOf('?', StringComparison.Ordinal)..], OneClick())).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.PostAsync("/api/subscriptions/unsubscribe?token=test.e30.AAAA", OneClick())).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        var page = await _f.Client.GetAsync(unsubscribe);
        Assert.Contains("name=\"List-Unsubscribe\" value=\"One-Click\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await ConfirmedAsync());

        var html = new HttpRequestMessage(HttpMethod.Post, unsubscribe) { Content = OneClick() };
        html.Headers.Accept.ParseAdd("text/html");
        var done = await _f.Client.SendAsync(html);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("Unsubscribed", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await ConfirmedAsync());

        _f.Clock.Advance(TimeSpan.FromDays(91));
        await (await _f.Client.GetAsync(manage)).AssertProblemAsync(HttpStatusCode.Gone, Problems.TokenExpired);
    }

    private static FormUrlEncodedContent OneClick() => new([new("List-Unsubscribe", "One-Click")]);

    private async Task<int> ConfirmedAsync()
    {
        var counts = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers/counts")).ReadJsonAsync();
        return counts.GetProperty("byStatus").TryGetProperty("confirmed", out var n) ? n.GetInt32() : 0;
    }

    [Theory]
    [InlineData("0~x")]
    [InlineData("999~")]
    [InlineData("~")]
    [InlineData("15~AAAA")]
    [InlineData("99~abc")]
    [InlineData("-1~abc")]
    [InlineData("0~not base64!")]
    [InlineData("0~AAAA")]
    [InlineData("x")]
    [InlineData("0~\u202Eabc")]
    public async Task A_continuation_token_the_service_did_not_issue_is_a_400_on_the_subscriber_and_recipient_lists(string token)
    {
        var updateId = await _f.PublishUpdateAsync("One.", "یک.");
        var escaped = Uri.EscapeDataString(token);

        var subscribers = await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers?continuationToken={escaped}");
        var recipients = await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients?continuationToken={escaped}");

        await subscribers.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        await recipients.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidQuery);
        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers")).StatusCode);
    }

    private async Task AssertNothingHappenedAsync()
    {
        var counts = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers/counts")).ReadJsonAsync();
        Assert.Equal(0, counts.GetProperty("total").GetInt32());
        await _f.RunTimerAsync();
        Assert.Empty(_f.Smtp.Messages());
        Assert.Empty(_f.Receiver.Received);
        Assert.DoesNotContain("c|", string.Join('\n', (await StorageDump.TextAsync(_f.App)).Split('\n').Where(l => !l.StartsWith("crises ", StringComparison.Ordinal))), StringComparison.Ordinal);
    }
}
