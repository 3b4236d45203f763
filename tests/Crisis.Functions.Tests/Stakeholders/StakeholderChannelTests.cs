using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

public class StakeholderChannelTests
{
    [Fact]
    public async Task Email_reminders_show_the_due_time_in_the_stakeholders_time_zone_with_the_action_link()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var f = await ReminderFixture.StartAsync(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:UseTls"] = "false",
        });
        var owner = await f.AddStakeholderAsync("maryam", "expert", email: "maryam@example.org", timeZone: "Asia/Tehran");
        await f.ExpectAsync(owner, TimeSpan.Zero);

        await f.RunTimerAsync();
        await f.RunTimerAsync();

        var message = Assert.Single(smtp.Messages());
        Assert.Contains("To: maryam@example.org", message, StringComparison.Ordinal);
        Assert.Contains("Message-ID: <remind|", message, StringComparison.Ordinal);
        var decoded = Mime.Decode(message);
        Assert.Contains("Due: Monday, November 23, 2026 at 12:30", decoded, StringComparison.Ordinal);
        Assert.Contains("(Asia/Tehran, UTC+03:30)", decoded, StringComparison.Ordinal);
        Assert.Contains("/api/stakeholder-actions?token=", decoded, StringComparison.Ordinal);
        Assert.Contains("text/html", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reminder_timer_runs_on_its_schedule_under_the_local_host()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = new CrisisAppFactory(
            (await TestAzurite.GetAsync()).ConnectionString,
            new Dictionary<string, string?> { ["REMINDER_SCHEDULE"] = "* * * * * *" },
            runTimers: true);
        using var admin = app.CreateAdminClient();
        var crisis = await CrisisFixtures.CreateActiveAsync(admin, CrisisFixtures.NewCrisis("en"));
        var owner = (await (await admin.PostAsJsonAsync("/api/admin/stakeholders", new { name = "olivia", role = "expert", language = "en", timeZone = "UTC", webhookUrl = receiver.Url("olivia") })).ReadJsonAsync()).GetProperty("id").GetString();
        await (await admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/expected-updates", new { ownerId = owner, topic = "Status", dueAt = DateTimeOffset.UtcNow })).ReadJsonAsync();

        for (var i = 0; i < 100 && receiver.Delivered.Count == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Single(receiver.Delivered);
    }

    [Theory]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC"}""", "email")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","email":"not-an-address"}""", "email")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","email":"a@b.org\r\nBcc: c@d.org"}""", "email")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"Mars/Olympus","email":"a@b.org"}""", "timeZone")]
    [InlineData("""{"name":"x","role":"expert","language":"qq","timeZone":"UTC","email":"a@b.org"}""", "language")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"http://169.254.169.254/latest/meta-data"}""", "webhookUrl")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"http://localhost:8080/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"http://10.0.0.5/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"http://[::1]/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"file:///etc/passwd"}""", "webhookUrl")]
    [InlineData("""{"name":"x","role":"expert","language":"en","timeZone":"UTC","webhookUrl":"https://user:pw@example.org/hook"}""", "webhookUrl")]
    public async Task Invalid_stakeholders_are_refused_and_nothing_is_stored(string body, string field)
    {
        await using var app = await CrisisAppFactory.CreateAsync();
        using var admin = app.CreateAdminClient();

        var response = await admin.PostAsync("/api/admin/stakeholders", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {problem}");
        Assert.Empty((await (await admin.GetAsync("/api/admin/stakeholders")).ReadJsonAsync()).GetProperty("stakeholders").EnumerateArray());
    }

    [Fact]
    public async Task Expected_updates_need_an_existing_owner_and_sensible_durations()
    {
        await using var f = await ReminderFixture.StartAsync();
        var owner = await f.AddStakeholderAsync("olivia", "expert");
        var cases = new object[]
        {
            new { ownerId = "nobody", topic = "t", dueAt = f.Clock.Now },
            new { ownerId = owner, topic = "", dueAt = f.Clock.Now },
            new { ownerId = owner, topic = "t", dueAt = f.Clock.Now, cadence = "00:01:00" },
            new { ownerId = owner, topic = "t", dueAt = f.Clock.Now, gracePeriod = "-00:10:00" },
            new { ownerId = owner, topic = "t", dueAt = f.Clock.Now, escalateTo = new[] { "ghost" } },
            new { ownerId = owner, topic = "t", dueAt = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero) },
            new { ownerId = owner, topic = "t", dueAt = f.Clock.Now.AddYears(-5) },
        };
        foreach (var body in cases)
        {
            await (await f.Admin.PostAsJsonAsync($"/api/admin/crises/{f.CrisisId}/expected-updates", body)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        }

        await (await f.Admin.PostAsync($"/api/admin/crises/{f.CrisisId}/expected-updates", new StringContent("""{"ownerId":"x","topic":"t","dueAt":"tomorrow"}""", System.Text.Encoding.UTF8, "application/json")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidJson);
        Assert.Empty((await (await f.Admin.GetAsync($"/api/admin/crises/{f.CrisisId}/expected-updates")).ReadJsonAsync()).GetProperty("expectedUpdates").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.GetAsync($"/api/admin/crises/{f.CrisisId}/expected-updates/due")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.GetAsync($"/api/admin/stakeholders/{owner}/record")).StatusCode);
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("192.0.2.2", false)]
    [InlineData("198.51.100.7", false)]
    [InlineData("203.0.113.9", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("192.0.3.1", true)]
    public void Only_public_addresses_are_webhook_destinations(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookSender.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_webhook_host_that_resolves_to_non_public_addresses_is_refused_when_sending()
    {
        // The machine's own name passes the name check but resolves to loopback or private addresses: only the connect-time check can refuse it.
        var host = Dns.GetHostName();
        Assert.True((await Dns.GetHostAddressesAsync(host)).All(a => !WebhookSender.IsPublic(a)), $"this test needs {host} to resolve to non-public addresses only");
        Assert.Null(WebhookSender.Validate($"http://{host}:9/hook", []));
        using var sender = new WebhookSender(Microsoft.Extensions.Options.Options.Create(new WebhookOptions { SigningSecret = CrisisAppFactory.WebhookSecret }), TimeProvider.System);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => sender.SendAsync(new Uri($"http://{host}:9/hook"), "id", [], CancellationToken.None));

        Assert.True(error is UnsafeWebhookException || error.InnerException is UnsafeWebhookException, error.ToString());
    }

    [Fact]
    public async Task Webhook_signatures_verify_with_the_official_standard_webhooks_library()
    {
        const string body = "{\"type\":\"update.due\",\"topic\":\"Expédition ✓\"}";

        // The library refuses timestamps far from its clock, so the signature is made now.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = "v1," + WebhookSender.Sign(CrisisAppFactory.WebhookSecret, "msg_1", timestamp, System.Text.Encoding.UTF8.GetBytes(body));

        Assert.True(await VerifiesAsync("msg_1", timestamp, signature, body));
        Assert.False(await VerifiesAsync("msg_1", timestamp, signature, body + " "));
        Assert.False(await VerifiesAsync("msg_2", timestamp, signature, body));
    }

    private static async Task<bool> VerifiesAsync(string id, string timestamp, string signature, string body) =>
        (await NodeScript.RunAsync("verify-webhook.mjs", [JsonSerializer.Serialize(new { secret = CrisisAppFactory.WebhookSecret, id, timestamp, signature, body })])).ExitCode == 0;
}
