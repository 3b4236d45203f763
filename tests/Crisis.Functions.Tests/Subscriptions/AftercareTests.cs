using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Subscriptions;

/// <summary>After the updates: an asker hears their question is answered, and subscribers hear the crisis is over, once each.</summary>
public sealed class AftercareTests : IAsyncLifetime
{
    private SubscriptionFixture _f = null!;

    public async Task InitializeAsync() => _f = await SubscriptionFixture.StartAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task Someone_who_asked_with_an_address_hears_once_in_their_language_when_the_question_is_answered()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"), Faq("بله، ظرف ده روز."));
        (await _f.Client.PostAsJsonAsync($"/api/crises/{crisis}/questions", new { text = "آیا پولم را پس می‌گیرم؟", language = "fa", contact = "asker@example.org" })).EnsureSuccessStatusCode();
        (await _f.Client.PostAsJsonAsync($"/api/crises/{crisis}/questions", new { text = "Will I get a refund?", language = "en" })).EnsureSuccessStatusCode();
        var questions = (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/questions")).ReadJsonAsync()).GetProperty("questions").EnumerateArray().ToList();

        foreach (var question in questions)
        {
            Assert.Equal(HttpStatusCode.OK, (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/questions/{question.GetProperty("id").GetString()}/answer", new { faqEntryId = "refund" })).StatusCode);
        }

        await _f.RunTimerAsync();
        var mail = Assert.Single(_f.Smtp.Messages());
        Assert.Equal("asker@example.org", Mime.Header(mail, "To"));
        CatalogueAssertions.InLanguage(mail, "fa", MessageKeys.AnsweredSubject, [MessageKeys.AnsweredBody]);
        var text = Mime.Decode(mail);
        Assert.Contains("بله، ظرف ده روز.", text, StringComparison.Ordinal);
        Assert.Contains($"/api/c/{crisis}/faq?lang=fa#q-refund", text, StringComparison.Ordinal);

        var asked = questions.Single(q => q.GetProperty("contact").ValueKind == System.Text.Json.JsonValueKind.String).GetProperty("id").GetString();
        await CrisisFixtures.SaveAndPublishContentAsync(_f.Admin, crisis, Faq("بله، ظرف هفت روز."));
        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/questions/{asked}/answer", new { faqEntryId = "refund" })).StatusCode);
        await _f.RunTimerAsync();
        Assert.Single(_f.Smtp.Messages());
    }

    [Fact]
    public async Task A_question_answered_by_an_entry_still_in_draft_is_told_once_it_is_answered_by_a_published_one()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en", "fa"), Faq("Yes."));
        (await _f.Client.PostAsJsonAsync($"/api/crises/{crisis}/questions", new { text = "When do depots reopen?", language = "en", contact = "asker@example.org" })).EnsureSuccessStatusCode();
        var id = (await (await _f.Admin.GetAsync($"/api/admin/crises/{crisis}/questions")).ReadJsonAsync()).GetProperty("questions")[0].GetProperty("id").GetString();
        var withDraft = Faq("Yes.");
        ((JsonArray)withDraft["faq"]!).Add(new JsonObject
        {
            ["id"] = "depots",
            ["category"] = "service",
            ["order"] = 2,
            ["question"] = CrisisFixtures.Localised(("en", "When do depots reopen?")),
            ["answer"] = CrisisFixtures.Localised(("en", "On Monday.")),
        });
        (await _f.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/content", withDraft)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/questions/{id}/answer", new { faqEntryId = "depots" })).StatusCode);
        await _f.RunTimerAsync();
        Assert.Empty(_f.Smtp.Messages());

        await CrisisFixtures.PostAsync(_f.Admin, $"/api/admin/crises/{crisis}/content/publish");
        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.PostAsJsonAsync($"/api/admin/crises/{crisis}/questions/{id}/answer", new { faqEntryId = "depots" })).StatusCode);
        await _f.RunTimerAsync();
        Assert.Contains("On Monday.", Mime.Decode(Assert.Single(_f.Smtp.Messages())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_confirmed_subscriber_in_scope_hears_once_in_their_language_that_the_crisis_is_over()
    {
        await SubscribeConfirmedAsync("leila@example.org", _f.CrisisId, "fa");
        await SubscribeConfirmedAsync("all@example.org", "all", "en");
        (await _f.SubscribeAsync(new { email = "pending@example.org", scope = _f.CrisisId, language = "en" })).EnsureSuccessStatusCode();
        var other = await CrisisFixtures.CreateActiveAsync(_f.Admin, CrisisFixtures.NewCrisis("en"));
        await SubscribeConfirmedAsync("other@example.org", other, "en");
        (await _f.SubscribeAsync(new { webhookUrl = _f.Receiver.Url("over-fa"), scope = _f.CrisisId, language = "fa" })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirm = SubscriptionFixture.Json(Assert.Single(_f.DeliveredTo("over-fa"))).GetProperty("confirmUrl").GetString()!;
        (await _f.Client.PostAsync(SubscriptionFixture.PathOf(confirm), null)).EnsureSuccessStatusCode();
        var before = _f.Smtp.Messages().Count;

        Assert.Equal(HttpStatusCode.OK, (await _f.Admin.PostAsync($"/api/admin/crises/{_f.CrisisId}/end", null)).StatusCode);
        await _f.RunTimerAsync();
        await _f.RunTimerAsync();
        Assert.NotEqual(HttpStatusCode.OK, (await _f.Admin.PostAsync($"/api/admin/crises/{_f.CrisisId}/end", null)).StatusCode);
        await _f.RunTimerAsync();

        var ended = _f.Smtp.Messages().Skip(before).ToList();
        Assert.Equal(2, ended.Count);
        var persian = Assert.Single(ended, m => Mime.Header(m, "To") == "leila@example.org");
        CatalogueAssertions.InLanguage(persian, "fa", MessageKeys.EndedSubject, [MessageKeys.EndedBody, MessageKeys.FooterUnsubscribe]);
        Assert.Equal(MessageCatalogue.Text(MessageKeys.EndedSubject, "fa", ("title", CrisisFixtures.Titles["fa"])), Mime.Subject(persian));
        Assert.Contains($"/api/c/{_f.CrisisId}?lang=fa", Mime.Decode(persian), StringComparison.Ordinal);
        var english = Assert.Single(ended, m => Mime.Header(m, "To") == "all@example.org");
        CatalogueAssertions.InLanguage(english, "en", MessageKeys.EndedSubject, [MessageKeys.EndedBody]);
        Assert.Contains($"Message-ID: <e|{_f.CrisisId}|", english, StringComparison.Ordinal);

        var over = SubscriptionFixture.Json(Assert.Single(_f.DeliveredTo("over-fa"), d => SubscriptionFixture.Type(d) == "crisis.ended"));
        Assert.Equal(MessageCatalogue.Text(MessageKeys.EndedSubject, "fa", ("title", CrisisFixtures.Titles["fa"])), over.GetProperty("title").GetString());
        Assert.Equal("fa", over.GetProperty("language").GetString());
        Assert.Equal("ended", over.GetProperty("crisis").GetProperty("status").GetString());
        Assert.EndsWith($"/api/c/{_f.CrisisId}?lang=fa", over.GetProperty("links").GetProperty("page").GetString(), StringComparison.Ordinal);
    }

    private static JsonObject Faq(string persianAnswer) => new()
    {
        ["faq"] = new JsonArray(new JsonObject
        {
            ["id"] = "refund",
            ["category"] = "billing",
            ["order"] = 1,
            ["question"] = CrisisFixtures.Localised(("en", "Will I be refunded?"), ("fa", "آیا پولم پس داده می‌شود؟")),
            ["answer"] = CrisisFixtures.Localised(("en", "Yes."), ("fa", persianAnswer)),
        }),
    };

    private async Task SubscribeConfirmedAsync(string email, string scope, string language)
    {
        (await _f.SubscribeAsync(new { email, scope, language })).EnsureSuccessStatusCode();
        await _f.RunTimerAsync();
        var confirmation = _f.Smtp.Messages().Last(m => Mime.Header(m, "To") == email);
        Assert.Equal(HttpStatusCode.OK, (await _f.Client.PostAsync(SubscriptionFixture.LinkIn(Mime.Decode(confirmation), "confirm"), null)).StatusCode);
    }
}
