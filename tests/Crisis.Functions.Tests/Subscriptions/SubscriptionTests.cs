using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

public sealed class SubscriptionTests : IAsyncLifetime
{
    private static readonly string[] Refunds = ["refunds"];
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task An_email_subscriber_confirms_gets_each_update_once_in_their_language_with_links_and_one_click_headers_then_unsubscribes()
    {
        var subscribed = await _f.SubscribeAsync(new { email = "leila@example.org", scope = _f.CrisisId, language = "fa" });
        Assert.Equal(HttpStatusCode.Accepted, subscribed.StatusCode);
        await _f.RunTimerAsync();
        var confirmation = Assert.Single(_f.Smtp.Messages());
        Assert.Equal("leila@example.org", Mime.Header(confirmation, "To"));
        var confirmLink = SubscriptionFixture.LinkIn(Mime.Decode(confirmation), "confirm");

        var page = await _f.Client.GetAsync(confirmLink);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<form method=\"post\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl!.NoStore);
        await _f.RunTimerAsync();
        Assert.Single(_f.Smtp.Messages());

        var published = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        Assert.Empty(await PendingUpdateMailsAsync());
        var confirmed = await _f.Client.PostAsync(confirmLink, null);
        Assert.Equal("confirmed", (await confirmed.ReadJsonAsync()).GetProperty("status").GetString());

        var second = await _f.PublishUpdateAsync("Deliveries resume.", "ارسال‌ها از سر گرفته می‌شود.");
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var update = Assert.Single(await PendingUpdateMailsAsync());
        var decoded = Mime.Decode(update);
        Assert.Contains("ارسال‌ها از سر گرفته می‌شود.", decoded, StringComparison.Ordinal);
        Assert.DoesNotContain("Depots reopen", decoded, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{_f.CrisisId}?lang=fa", decoded, StringComparison.Ordinal);
        Assert.Equal("fa", Mime.Header(update, "Content-Language"));
        Assert.Contains("text/html", update, StringComparison.Ordinal);
        Assert.Contains("/api/subscriptions/manage?token=", decoded, StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", Mime.Header(update, "List-Unsubscribe-Post"));
        var listUnsubscribe = Mime.Header(update, "List-Unsubscribe")!;
        Assert.StartsWith("<http://localhost:7071/api/subscriptions/unsubscribe?token=", listUnsubscribe, StringComparison.Ordinal);
        Assert.Contains($"Message-ID: <u|{_f.CrisisId}|{second}|", update, StringComparison.Ordinal);
        Assert.NotEqual(published, second);

        var unsubscribe = SubscriptionFixture.PathOf(listUnsubscribe.Trim('<', '>'));
        var oneClick = await _f.Client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        var replay = await _f.Client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.Gone, replay.StatusCode);

        await _f.PublishUpdateAsync("Back to normal.", "به حالت عادی برگشت.");
        await _f.RunTimerAsync();
        Assert.Single(await PendingUpdateMailsAsync());
    }

    [Fact]
    public async Task A_webhook_subscriber_gets_one_signed_update_that_the_standard_webhooks_library_verifies()
    {
        var confirmed = await _f.SubscribeWebhookAsync("hooks/a", language: "en");
        Assert.Equal("confirmed", confirmed.GetProperty("status").GetString());
        Assert.Equal("webhook", confirmed.GetProperty("subscription").GetProperty("channel").GetString());
        Assert.Equal("http://127.0.0.1/***", confirmed.GetProperty("subscription").GetProperty("contact").GetString());

        var updateId = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        var call = Assert.Single(_f.DeliveredTo("hooks/a"), d => SubscriptionFixture.Type(d) == "crisis.update");
        Assert.True(call.SignatureValid);
        var body = SubscriptionFixture.Json(call);
        Assert.Equal(updateId, body.GetProperty("update").GetProperty("id").GetString());
        Assert.Equal("Depots reopen on Monday.", body.GetProperty("update").GetProperty("text").GetString());
        Assert.Equal("en", body.GetProperty("language").GetString());
        Assert.Contains("/api/subscriptions/unsubscribe?token=", body.GetProperty("links").GetProperty("unsubscribe").GetString(), StringComparison.Ordinal);
        Assert.Equal($"u|{_f.CrisisId}|{updateId}|{confirmed.GetProperty("subscription").GetProperty("id").GetString()}", call.Id);
        var verified = await NodeScript.RunAsync("verify-webhook.mjs",
            [JsonSerializer.Serialize(new { secret = CrisisAppFactory.WebhookSecret, id = call.Id, timestamp = call.Timestamp, signature = "v1," + Crisis.Functions.Notifications.WebhookSender.Sign(CrisisAppFactory.WebhookSecret, call.Id, call.Timestamp, Encoding.UTF8.GetBytes(call.Body)), body = call.Body })]);
        Assert.Equal(0, verified.ExitCode);
    }

    [Fact]
    public async Task An_sms_subscriber_confirms_and_gets_a_short_text_with_the_page_and_stop_links_through_the_provider_stand_in()
    {
        (await _f.SubscribeAsync(new { phone = "+447700900123", scope = _f.CrisisId, language = "en" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmation = Assert.Single(_f.Sms.Received);
        Assert.True(confirmation.SignatureValid);
        Assert.Equal("+447700900123", confirmation.To);
        Assert.Equal("+447700900000", confirmation.From);
        await _f.Client.PostAsync(SubscriptionFixture.LinkIn(confirmation.Message, "confirm"), null);

        await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();

        Assert.Equal(2, _f.Sms.Received.Count);
        var text = _f.Sms.Received[1].Message;
        Assert.Contains("Depots reopen on Monday.", text, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{_f.CrisisId}?lang=en", text, StringComparison.Ordinal);
        Assert.Contains("To stop: http://localhost:7071/api/subscriptions/unsubscribe?token=", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_error_quoting_the_number_is_recorded_without_it()
    {
        (await _f.SubscribeAsync(new { phone = "+447700900999" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        await _f.Client.PostAsync(SubscriptionFixture.LinkIn(_f.Sms.Received.Single().Message, "confirm"), null);
        _f.Sms.Blocked.Add("+447700900999");

        var updateId = await _f.PublishUpdateAsync("Depots closed.", "انبارها بسته‌اند.");
        await _f.RunTimerAsync();

        var recipient = (await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{updateId}/notifications/recipients")).ReadJsonAsync()).GetProperty("recipients")[0];
        Assert.Equal("retry", recipient.GetProperty("status").GetString());
        Assert.Equal("SMS provider refused the message: Recipient [recipient] has opted out.", recipient.GetProperty("lastError").GetString());
        var subscriber = (await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers?channel=sms")).ReadJsonAsync()).GetProperty("subscribers")[0];
        Assert.Equal("SMS provider refused the message: Recipient [recipient] has opted out.", subscriber.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task Subscribing_answers_the_same_whether_or_not_the_contact_is_subscribed_and_a_subscribed_contact_gets_its_manage_link_instead()
    {
        var first = await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("hooks/same") });
        var firstBody = await first.Content.ReadAsStringAsync();
        await _f.RunTimerAsync();
        await _f.ConfirmAsync(SubscriptionFixture.Json(_f.DeliveredTo("hooks/same").Single()).GetProperty("confirmUrl").GetString()!);

        var again = await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("hooks/same") });
        var stranger = await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("hooks/other") });

        Assert.Equal(first.StatusCode, again.StatusCode);
        Assert.Equal(first.StatusCode, stranger.StatusCode);
        Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
        Assert.Equal(firstBody, await stranger.Content.ReadAsStringAsync());
        await _f.RunTimerAsync();
        var notice = _f.DeliveredTo("hooks/same").Last();
        Assert.Equal("subscription.active", SubscriptionFixture.Type(notice));
        Assert.False(SubscriptionFixture.Json(notice).TryGetProperty("confirmUrl", out _));
        Assert.Equal(1, await CountAsync("confirmed"));
        Assert.Equal(1, await CountAsync("pending"));
    }

    [Fact]
    public async Task Confirmation_links_expire_cannot_be_tampered_with_replayed_or_used_for_another_purpose()
    {
        (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("hooks/c") })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmUrl = SubscriptionFixture.Json(_f.DeliveredTo("hooks/c").Single()).GetProperty("confirmUrl").GetString()!;
        var path = SubscriptionFixture.PathOf(confirmUrl);
        var token = Uri.UnescapeDataString(path[(path.IndexOf("token=", StringComparison.Ordinal) + 6)..path.IndexOf("&lang=", StringComparison.Ordinal)]);
        var manage = SubscriptionFixture.PathOf(SubscriptionFixture.Json(_f.DeliveredTo("hooks/c").Single()).GetProperty("links").GetProperty("manage").GetString()!);

        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        await (await _f.Client.PostAsync("/api/subscriptions/confirm?token=" + Uri.EscapeDataString(tampered), null)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.PostAsync("/api/subscriptions/confirm", null)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.PostAsync("/api/subscriptions/confirm" + manage[manage.IndexOf('?', StringComparison.Ordinal)..], null)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        await (await _f.Client.PostAsync("/api/subscriptions/confirm?token=" + new string('a', 5000), null)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        Assert.Equal(1, await CountAsync("pending"));

        _f.Clock.Advance(TimeSpan.FromHours(49));
        await (await _f.Client.PostAsync(path, null)).AssertProblemAsync(HttpStatusCode.Gone, Problems.TokenExpired);
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.GetAsync(path)).StatusCode);
        Assert.Equal(1, await CountAsync("pending"));

        _f.Clock.Advance(TimeSpan.FromHours(-49));
        Assert.Equal("confirmed", (await _f.ConfirmAsync(confirmUrl)).GetProperty("status").GetString());
        await (await _f.Client.PostAsync(path, null)).AssertProblemAsync(HttpStatusCode.Conflict, Problems.TokenUsed);
        Assert.Equal(1, await CountAsync("confirmed"));
    }

    [Fact]
    public async Task The_manage_link_reads_and_changes_language_topics_and_scope_and_refuses_bad_changes()
    {
        var confirmed = await _f.SubscribeWebhookAsync("hooks/m");
        var manage = SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("manage").GetString()!);

        var read = await (await _f.Client.GetAsync(manage)).ReadJsonAsync();
        Assert.Equal("all", read.GetProperty("scope").GetString());
        Assert.Equal("confirmed", read.GetProperty("status").GetString());

        var changed = await (await _f.Client.PatchAsJsonAsync(manage, new { language = "fa", topics = Refunds, scope = _f.CrisisId })).ReadJsonAsync();
        Assert.Equal("fa", changed.GetProperty("language").GetString());
        Assert.Equal(_f.CrisisId, changed.GetProperty("scope").GetString());
        Assert.Equal("refunds", changed.GetProperty("topics")[0].GetString());

        foreach (var bad in new[] { """{"language":"xx-nope"}""", """{"scope":"../etc"}""", """{"topics":["Refunds!"]}""", """{"colour":"red"}""", """{"topics":"refunds"}""", "[1,2]", "{" })
        {
            var response = await _f.Client.PatchAsync(manage, new StringContent(bad, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _f.Client.PatchAsJsonAsync(manage, new { scope = "no-such-crisis" })).StatusCode);
        await (await _f.Client.GetAsync("/api/subscriptions/manage?token=x.y.z")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
        Assert.Equal("fa", (await (await _f.Client.GetAsync(manage)).ReadJsonAsync()).GetProperty("language").GetString());

        await _f.PublishUpdateAsync("About deliveries.", "درباره ارسال‌ها.", topic: "deliveries");
        await _f.PublishUpdateAsync("About refunds.", "درباره بازپرداخت.", topic: "refunds");
        await _f.PublishUpdateAsync("For everyone.", "برای همه.");
        await _f.RunTimerAsync();

        var texts = _f.DeliveredTo("hooks/m").Where(d => SubscriptionFixture.Type(d) == "crisis.update")
            .Select(d => SubscriptionFixture.Json(d).GetProperty("update").GetProperty("text").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["برای همه.", "درباره بازپرداخت."], texts);
    }

    [Fact]
    public async Task Erasing_leaves_no_trace_of_the_contact_in_any_table_or_blob()
    {
        (await _f.SubscribeAsync(new { email = "erase.me@example.org", language = "en" })).EnsureSuccessStatusCode();
        (await _f.SubscribeAsync(new { email = "Erase.Me@example.org", scope = _f.CrisisId }, idempotencyKey: "k-1")).EnsureSuccessStatusCode();
        (await _f.Client.PostAsJsonAsync($"/api/crises/{_f.CrisisId}/questions", new { text = "Will my parcel arrive this week?", language = "en", contact = "ERASE.me@example.org" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var mails = _f.Smtp.Messages();
        Assert.Equal(2, mails.Count);
        foreach (var mail in mails)
        {
            await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(mail), "confirm"), null);
        }

        await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        Assert.Equal(4, _f.Smtp.Messages().Count);
        var manage = SubscriptionFixture.LinkIn(Mime.Decode(_f.Smtp.Messages()[^1]), "manage");
        var ids = (await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers")).ReadJsonAsync()).GetProperty("subscribers").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        Assert.Equal(2, ids.Count);
        var before = await StorageDump.TextAsync(_f.App);
        var holding = before.Split('\n').Where(l => l.Contains("erase.me@", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(3, holding.Count);
        Assert.Equal(2, holding.Count(line => System.Text.RegularExpressions.Regex.IsMatch(line, "^s[0-9]{2} sub[0-9a-f]{20} Channel=Email Address=")));

        var erased = await (await _f.Client.DeleteAsync(manage)).ReadJsonAsync();

        Assert.Equal(2, erased.GetProperty("subscriptions").GetInt32());
        var after = await StorageDump.TextAsync(_f.App);
        Assert.DoesNotContain("erase.me", after, StringComparison.OrdinalIgnoreCase);
        Assert.All(ids, id => Assert.DoesNotContain(id, after, StringComparison.Ordinal));
        var contactHash = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(CrisisAppFactory.ContactHashKey), Encoding.UTF8.GetBytes("email:erase.me@example.org")));
        Assert.Contains(contactHash, before, StringComparison.Ordinal);
        Assert.DoesNotContain(contactHash, after, StringComparison.Ordinal);
        var keyHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("k-1")));
        Assert.Contains(keyHash, before, StringComparison.Ordinal);
        Assert.DoesNotContain(keyHash, after, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.DeleteAsync(manage)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await _f.Client.GetAsync(manage)).StatusCode);
        var question = Assert.Single((await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/questions")).ReadJsonAsync()).GetProperty("questions").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, question.GetProperty("contact").ValueKind);
        Assert.False(question.TryGetProperty("contactHash", out _));
    }

    [Fact]
    public async Task Erasing_a_subscriber_whose_update_is_still_to_send_removes_it_sends_it_no_more_and_stops_counting_it_as_pending()
    {
        var leaving = (await _f.SubscribeWebhookAsync("hooks/leaving")).GetProperty("links").GetProperty("manage").GetString()!;
        await _f.SubscribeWebhookAsync("hooks/staying");
        _f.Receiver.Respond = call => call.Path == "/hooks/leaving" ? 503 : 200;
        var update = await _f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await _f.RunTimerAsync();
        var attempts = _f.Receiver.Received.Count(c => c.Path == "/hooks/leaving" && SubscriptionFixture.Type(c) == "crisis.update");
        var before = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{update}/notifications")).ReadJsonAsync();
        Assert.Equal((1, 1), (before.GetProperty("sent").GetInt32(), before.GetProperty("retrying").GetInt32()));

        var erased = await (await _f.Client.DeleteAsync(SubscriptionFixture.PathOf(leaving))).ReadJsonAsync();
        _f.Clock.Advance(TimeSpan.FromHours(2));
        await _f.RunTimerAsync();

        // Its confirmation's record and the update still to send.
        Assert.Equal(2, erased.GetProperty("deliveryRecords").GetInt32());
        Assert.Equal(1, attempts);
        Assert.Equal(attempts, _f.Receiver.Received.Count(c => c.Path == "/hooks/leaving" && SubscriptionFixture.Type(c) == "crisis.update"));
        var after = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/updates/{update}/notifications")).ReadJsonAsync();
        Assert.Equal((1, 0, 0, 2), (after.GetProperty("sent").GetInt32(), after.GetProperty("retrying").GetInt32(), after.GetProperty("queued").GetInt32(), after.GetProperty("recipients").GetInt32()));
    }

    [Fact]
    public async Task An_update_published_on_a_draft_crisis_reaches_subscribers_only_once_the_crisis_is_public()
    {
        await _f.SubscribeWebhookAsync("hooks/all");
        var draft = await CrisisFixtures.CreateAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{draft}/updates", new { text = new { en = "Prepared in advance." }, publish = true })).EnsureSuccessStatusCode();

        await _f.RunTimerAsync();
        Assert.DoesNotContain(_f.DeliveredTo("hooks/all"), d => SubscriptionFixture.Type(d) == "crisis.update");

        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{draft}/activate");
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();
        var update = Assert.Single(_f.DeliveredTo("hooks/all"), d => SubscriptionFixture.Type(d) == "crisis.update");
        Assert.Equal(draft, SubscriptionFixture.Json(update).GetProperty("crisis").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Signing_keys_rotate_links_signed_with_a_retired_key_work_while_it_verifies_and_fail_once_it_is_removed()
    {
        var confirmed = await _f.SubscribeWebhookAsync("hooks/r");
        var manage = SubscriptionFixture.PathOf(confirmed.GetProperty("links").GetProperty("manage").GetString()!);
        const string NewSecret = "bmV3LXRva2VuLXNpZ25pbmcta2V5LWZvci1yb3RhdGlvbiE=";
        var azurite = (await TestAzurite.GetAsync()).ConnectionString;

        await using (var rotated = new CrisisAppFactory(azurite, new Dictionary<string, string?>
        {
            ["Storage:NamePrefix"] = _f.App.NamePrefix,
            ["Tokens:SigningKeys:0:Id"] = "k2",
            ["Tokens:SigningKeys:0:Secret"] = NewSecret,
            ["Tokens:SigningKeys:1:Id"] = "test",
            ["Tokens:SigningKeys:1:Secret"] = CrisisAppFactory.TokenSecret,

            // Only the timer run below sends, so the message it sends is the one read after it.
            ["Outbox:SendInBackground"] = "false",
        }, _f.Clock))
        {
            using var client = rotated.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(manage)).StatusCode);
            (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("hooks/r") }, client: client)).EnsureSuccessStatusCode();
            await _f.RunTimerAsync(client);
            var fresh = SubscriptionFixture.Json(_f.DeliveredTo("hooks/r").Last()).GetProperty("links").GetProperty("manage").GetString()!;
            Assert.Contains("token=k2.", fresh, StringComparison.Ordinal);
        }

        await using var retired = new CrisisAppFactory(azurite, new Dictionary<string, string?>
        {
            ["Storage:NamePrefix"] = _f.App.NamePrefix,
            ["Tokens:SigningKeys:0:Id"] = "k2",
            ["Tokens:SigningKeys:0:Secret"] = NewSecret,
        }, _f.Clock);
        using var after = retired.CreateClient();
        await (await after.GetAsync(manage)).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.InvalidToken);
    }

    [Fact]
    public async Task A_subscription_never_confirmed_is_deleted_once_its_latest_confirmation_link_has_expired()
    {
        (await _f.SubscribeAsync(new { email = "undecided@example.org" })).EnsureSuccessStatusCode();
        await _f.SubscribeWebhookAsync("hooks/decided");

        _f.Clock.Advance(TimeSpan.FromHours(47));
        await _f.RunTimerAsync();
        Assert.Equal(1, await CountAsync("pending"));
        (await _f.SubscribeAsync(new { email = "undecided@example.org" })).EnsureSuccessStatusCode();
        _f.Clock.Advance(TimeSpan.FromHours(2));
        await _f.RunTimerAsync();
        Assert.Equal(1, await CountAsync("pending"));

        _f.Clock.Advance(TimeSpan.FromHours(47));
        await _f.RunTimerAsync();
        Assert.Equal(0, await CountAsync("pending"));
        Assert.Equal(1, await CountAsync("confirmed"));
        Assert.DoesNotContain("undecided@example.org", await StorageDump.TextAsync(_f.App), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idempotency_key_sends_one_confirmation_and_refuses_reuse_with_another_request()
    {
        var body = new { email = "ida@example.org" };
        Assert.Equal(HttpStatusCode.Accepted, (await _f.SubscribeAsync(body, "key-42")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _f.SubscribeAsync(body, "key-42")).StatusCode);
        await (await _f.SubscribeAsync(new { email = "ida@example.org", language = "fa" }, "key-42")).AssertProblemAsync((HttpStatusCode)422, Problems.IdempotencyKeyReused);
        await (await _f.SubscribeAsync(body, "bad key with spaces")).AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);

        await _f.RunTimerAsync();
        Assert.Single(_f.Smtp.Messages());
    }

    [Fact]
    public async Task Asking_again_before_confirming_replaces_the_earlier_confirmation_link()
    {
        (await _f.SubscribeAsync(new { email = "twice@example.org", scope = _f.CrisisId })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var first = SubscriptionFixture.LinkIn(Mime.Decode(Assert.Single(_f.Smtp.Messages())), "confirm");
        (await _f.SubscribeAsync(new { email = "twice@example.org", scope = _f.CrisisId })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var second = SubscriptionFixture.LinkIn(Mime.Decode(_f.Smtp.Messages()[^1]), "confirm");

        await (await _f.Client.PostAsync(first, null)).AssertProblemAsync(HttpStatusCode.Conflict, Problems.TokenUsed);

        Assert.Equal("confirmed", (await (await _f.Client.PostAsync(second, null)).ReadJsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Concurrent_requests_for_one_contact_make_one_subscription_and_erasure_leaves_none()
    {
        await using var f = await SubscriptionFixture.StartAsync(new Dictionary<string, string?> { ["Subscriptions:MaxConfirmationsPerContactPerDay"] = "50" });

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => f.SubscribeAsync(new { email = "racer@example.org", scope = f.CrisisId })));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        var subscribers = (await (await f.Admin.GetAsync($"/api/admin/crises/{f.CrisisId}/subscribers")).ReadJsonAsync()).GetProperty("subscribers");
        Assert.Single(subscribers.EnumerateArray());
        await f.RunTimerAsync();
        var confirmations = f.Smtp.Messages();
        Assert.NotEmpty(confirmations);
        await f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(confirmations[0]), "confirm"), null);
        await f.PublishUpdateAsync("Depots reopen on Monday.", "انبارها دوشنبه باز می‌شوند.");
        await f.RunTimerAsync();
        var manage = SubscriptionFixture.LinkIn(Mime.Decode(f.Smtp.Messages()[^1]), "manage");

        (await f.Client.DeleteAsync(manage)).EnsureSuccessStatusCode();

        Assert.Empty((await (await f.Admin.GetAsync($"/api/admin/crises/{f.CrisisId}/subscribers")).ReadJsonAsync()).GetProperty("subscribers").EnumerateArray());
        Assert.DoesNotContain("racer@", await StorageDump.TextAsync(f.App), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_contact_is_422_and_sends_nothing_more()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _f.SubscribeAsync(new { email = "first@example.org" }, "shared-key-7")).StatusCode);

        var reused = await _f.SubscribeAsync(new { email = "second@example.org" }, "shared-key-7");

        var problem = await reused.AssertProblemAsync((HttpStatusCode)422, Problems.IdempotencyKeyReused);
        Assert.Contains("different request", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await _f.RunTimerAsync();
        Assert.Equal("first@example.org", Mime.Header(Assert.Single(_f.Smtp.Messages()), "To"));
        Assert.DoesNotContain("second@", await StorageDump.TextAsync(_f.App), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_mailbox_gets_at_most_three_confirmations_a_day_whatever_its_tags_and_later_requests_answer_the_same_and_change_nothing()
    {
        foreach (var email in new[] { "flood@example.org", "Flood+1@example.org", "flood+news@example.org" })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await _f.SubscribeAsync(new { email })).StatusCode);
        }

        var first = await _f.SubscribeAsync(new { email = "other@example.org" });
        await _f.RunTimerAsync();
        Assert.Equal(4, _f.Smtp.Messages().Count);
        var before = await StorageDump.TextAsync(_f.App);

        var refused = await _f.SubscribeAsync(new { email = "FLOOD+2@example.org" });
        var again = await _f.SubscribeAsync(new { email = "flood@example.org" });

        foreach (var answer in new[] { refused, again })
        {
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            Assert.Equal(await first.Content.ReadAsStringAsync(), await answer.Content.ReadAsStringAsync());
        }

        Assert.Equal(before, await StorageDump.TextAsync(_f.App));
        await _f.RunTimerAsync();
        Assert.Equal(4, _f.Smtp.Messages().Count);
        var latest = _f.Smtp.Messages().Where(m => m.Contains("flood+news@", StringComparison.OrdinalIgnoreCase)).Single();
        Assert.Equal("confirmed", (await (await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(latest), "confirm"), null)).ReadJsonAsync()).GetProperty("status").GetString());

        var midnight = _f.Clock.Now.UtcDateTime.Date.AddDays(1);
        _f.Clock.Set(new DateTimeOffset(midnight, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.Accepted, (await _f.SubscribeAsync(new { email = "flood@example.org" })).StatusCode);
        await _f.RunTimerAsync();
        Assert.Equal(5, _f.Smtp.Messages().Count);
        var counters = (await StorageDump.TextAsync(_f.App)).Split('\n').Where(l => l.StartsWith("l|", StringComparison.Ordinal) && l.Contains(" d|", StringComparison.Ordinal)).ToList();
        Assert.Equal($"d|{midnight:yyyyMMdd}", Assert.Single(counters, l => l.StartsWith(counters[0].Split(' ')[0], StringComparison.Ordinal)).Split(' ')[1]);
    }

    [Fact]
    public async Task A_subscribed_contact_asking_again_gets_its_manage_link_even_when_strangers_used_up_its_confirmations_at_most_once_per_interval()
    {
        (await _f.SubscribeAsync(new { email = "owner@example.org" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        (await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(_f.Smtp.Messages().Single()), "confirm"), null)).EnsureSuccessStatusCode();
        foreach (var email in new[] { "owner+a@example.org", "owner+b@example.org", "owner+c@example.org" })
        {
            (await _f.SubscribeAsync(new { email })).EnsureSuccessStatusCode();
        }

        await _f.RunTimerAsync();
        Assert.Equal(3, _f.Smtp.Messages().Count);

        (await _f.SubscribeAsync(new { email = "owner@example.org" })).EnsureSuccessStatusCode();
        (await _f.SubscribeAsync(new { email = "OWNER@example.org" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var mails = _f.Smtp.Messages();
        Assert.Equal(4, mails.Count);
        Assert.Contains("/api/subscriptions/manage?token=", Mime.Decode(mails[^1]), StringComparison.Ordinal);
        Assert.DoesNotContain("/api/subscriptions/confirm?token=", Mime.Decode(mails[^1]), StringComparison.Ordinal);

        _f.Clock.Advance(TimeSpan.FromMinutes(10));
        (await _f.SubscribeAsync(new { email = "owner@example.org" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        Assert.Equal(5, _f.Smtp.Messages().Count);
    }

    private async Task<List<string>> PendingUpdateMailsAsync()
    {
        await _f.RunTimerAsync();
        return [.. _f.Smtp.Messages().Where(m => m.Contains("Message-ID: <u|", StringComparison.Ordinal))];
    }

    private async Task<int> CountAsync(string status)
    {
        var counts = await (await _f.Admin.GetAsync($"/api/admin/crises/{_f.CrisisId}/subscribers/counts")).ReadJsonAsync();
        return counts.GetProperty("byStatus").TryGetProperty(status, out var n) ? n.GetInt32() : 0;
    }
}
