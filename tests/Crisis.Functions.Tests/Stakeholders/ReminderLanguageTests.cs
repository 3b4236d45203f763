using System.Globalization;
using System.Net.Http.Json;
using Crisis.Functions.Messages;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Stakeholders;

public class ReminderLanguageTests
{
    [Fact]
    public async Task Stakeholders_in_persian_and_welsh_get_reminders_and_escalations_in_their_language_with_their_local_times()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var f = await ReminderFixture.StartAsync(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Smtp:UseTls"] = "false",
        });
        var crisis = await CrisisFixtures.CreateActiveAsync(f.Admin, CrisisFixtures.NewCrisis("en", "fa", "cy"));
        var maryam = await f.AddStakeholderAsync("maryam", "decision-maker", email: "maryam@example.org", timeZone: "Asia/Tehran", language: "fa");
        var rhys = await f.AddStakeholderAsync("rhys", "decision-maker", email: "rhys@example.org", timeZone: "Europe/London", language: "cy");
        await f.ExpectAsync(maryam, TimeSpan.Zero, crisisId: crisis);
        await f.ExpectAsync(rhys, TimeSpan.Zero, crisisId: crisis);

        await f.RunTimerAsync();
        await f.RunTimerAsync();
        f.Clock.Advance(TimeSpan.FromMinutes(31));
        await f.RunTimerAsync();
        await f.RunTimerAsync();

        // 23 November 2026 is 2 Azar 1405 in the Solar Hijri calendar; in Welsh, November is Tachwedd.
        foreach (var (address, language, zone, clock, date) in new[]
        {
            ("maryam@example.org", "fa", "Asia/Tehran", "۱۲:۳۰", "۲ آذر ۱۴۰۵ (۲۳ نوامبر ۲۰۲۶)"),
            ("rhys@example.org", "cy", "Europe/London", "09:00", "23 Tachwedd 2026"),
        })
        {
            var mails = smtp.Messages().Where(m => Mime.Header(m, "To") == address).ToList();
            var title = CrisisFixtures.Titles[language];
            var reminder = Assert.Single(mails, m => m.Contains("Message-ID: <remind|", StringComparison.Ordinal));
            CatalogueAssertions.InLanguage(reminder, language, MessageKeys.ReminderSubject, [MessageKeys.ReminderBody]);
            Assert.Equal(MessageCatalogue.Text(MessageKeys.ReminderSubject, language, ("topic", "Shipping status"), ("title", title)), Mime.Subject(reminder));
            Assert.Contains(LocalTimes.Format(ReminderFixture.Start, zone, language), Mime.Decode(reminder), StringComparison.Ordinal);
            Assert.Contains(clock, Mime.Decode(reminder), StringComparison.Ordinal);
            Assert.Contains(date, Mime.Decode(reminder), StringComparison.Ordinal);
            Assert.Contains($"{zone}, UTC+0", Mime.Decode(reminder), StringComparison.Ordinal);

            var escalations = mails.Where(m => m.Contains("Message-ID: <escalate|", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, escalations.Count);
            Assert.All(escalations, escalation =>
            {
                CatalogueAssertions.InLanguage(escalation, language, MessageKeys.EscalationSubject, [MessageKeys.EscalationBody]);
                Assert.Contains(LocalTimes.Format(ReminderFixture.Start, zone, language), Mime.Decode(escalation), StringComparison.Ordinal);
                Assert.Contains(date, Mime.Decode(escalation), StringComparison.Ordinal);
                Assert.Contains(MessageCatalogue.Number(30, language), Mime.Decode(escalation), StringComparison.Ordinal);
            });
        }
    }
}
