using System.Net.Http.Json;
using System.Text.Json;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Common;

/// <summary>A time that has not happened yet is null in every answer, never 0001-01-01.</summary>
public class NotYetDatesTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private const string MinDate = "0001-01-01";

    private static void AssertNull(JsonElement item, string property)
    {
        Assert.True(item.TryGetProperty(property, out var value), $"{property} missing from {item}");
        Assert.Equal(JsonValueKind.Null, value.ValueKind);
    }

    [Fact]
    public async Task An_unanswered_question_has_a_null_answered_at()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(shared.Admin, CrisisFixtures.NewCrisis("en"));
        (await shared.Client.PostAsJsonAsync($"/api/crises/{crisis}/questions", new { text = "Is my order delayed?", language = "en" })).EnsureSuccessStatusCode();

        var response = await shared.Admin.GetAsync($"/api/admin/crises/{crisis}/questions");

        var question = Assert.Single((await response.ReadJsonAsync()).GetProperty("questions").EnumerateArray());
        AssertNull(question, "answeredAt");
        AssertNull(question, "answeredBy");
        Assert.DoesNotContain(MinDate, question.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_subscriber_has_null_confirmed_and_quarantined_times()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(shared.Admin, CrisisFixtures.NewCrisis("en"));
        (await shared.Client.PostAsJsonAsync("/api/subscriptions", new { email = "pending.dates@example.org", scope = crisis })).EnsureSuccessStatusCode();

        var response = await shared.Admin.GetAsync($"/api/admin/crises/{crisis}/subscribers");

        var subscriber = Assert.Single((await response.ReadJsonAsync()).GetProperty("subscribers").EnumerateArray());
        AssertNull(subscriber, "confirmedAt");
        AssertNull(subscriber, "quarantinedAt");
        Assert.DoesNotContain(MinDate, subscriber.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_override_not_yet_restored_has_a_null_restored_at_and_no_storage_internals()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(shared.Admin, CrisisFixtures.NewCrisis("en"));
        await (await shared.Admin.PutAsJsonAsync("/api/admin/touchpoints/dates-banner", new
        {
            kind = "website-banner",
            name = "Site banner",
            defaultLanguage = "en",
            normal = new { en = "Welcome." },
        })).ReadJsonAsync();
        await (await shared.Admin.PutAsJsonAsync($"/api/admin/crises/{crisis}/touchpoints/dates-banner", new { text = new { en = "Deliveries are delayed." } })).ReadJsonAsync();

        var detail = await (await shared.Admin.GetAsync("/api/admin/touchpoints/dates-banner")).ReadJsonAsync();

        var state = Assert.Single(detail.GetProperty("overrides").EnumerateArray());
        AssertNull(state, "restoredAt");
        AssertNull(state, "restoredBy");
        Assert.False(state.TryGetProperty("eTag", out _), state.ToString());
        Assert.DoesNotContain(MinDate, detail.ToString(), StringComparison.Ordinal);
    }
}
