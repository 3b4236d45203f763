using System.Globalization;
using System.Xml.Linq;
using Crisis.Functions.Common;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Common;

/// <summary>Texts cut short for a headline close every direction isolate they cut into.</summary>
public class IsolatedTextTests(SharedApp shared) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task An_atom_entry_title_cut_inside_an_isolated_run_closes_the_isolate()
    {
        var crisis = await CrisisFixtures.CreateActiveAsync(shared.Admin, CrisisFixtures.NewCrisis("en", "fa"));
        var orders = string.Join(" ", Enumerable.Range(1000, 40).Select(n => "#A-" + n.ToString(CultureInfo.InvariantCulture)));
        var text = "سفارش‌های با تأخیر: \u2066" + orders + "\u2069 به زودی فرستاده می‌شوند.\nجزئیات بیشتر در صفحه.";
        await CrisisFixtures.PostAsync(shared.Admin, $"/api/admin/crises/{crisis}/updates", new { text = new { en = "Orders delayed.", fa = text }, publish = true });

        var feed = XDocument.Parse(await (await shared.Client.GetAsync($"/api/crises/{crisis}/feed.atom?lang=fa")).Content.ReadAsStringAsync());

        XNamespace atom = "http://www.w3.org/2005/Atom";
        var title = Assert.Single(feed.Root!.Elements(atom + "entry")).Element(atom + "title")!.Value;
        Assert.StartsWith("سفارش‌های با تأخیر: \u2066#A-1000", title, StringComparison.Ordinal);
        Assert.DoesNotContain("#A-1039", title, StringComparison.Ordinal);
        Assert.EndsWith("…\u2069", title, StringComparison.Ordinal);
        Assert.True(title.Length <= 100, title);
        Assert.Null(UnicodeText.Problem(title));
    }
}
