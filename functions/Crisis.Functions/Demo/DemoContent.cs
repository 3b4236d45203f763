using Crisis.Functions.Crises;

namespace Crisis.Functions.Demo;

/// <summary>
/// The demo crisis the local run starts with: regional flooding delaying deliveries, in English, Welsh, Persian
/// (right-to-left) and Swahili. Seeded through the same service the admin API uses, once per data folder.
/// </summary>
public static class DemoContent
{
    public const string CrisisId = "regional-flooding-demo";
    private const string Actor = "demo-seed";

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var crises = services.GetRequiredService<CrisisService>();
        var store = services.GetRequiredService<CrisisStore>();

        // Each step is taken unless it was, so a run stopped half-way (Ctrl-C during the first start) is finished by
        // the next; a demo someone has since moved on (ended, archived) is left as it is.
        if (await store.GetAsync(CrisisId, cancellationToken) is null)
        {
            await crises.CreateAsync(Crisis, Actor, cancellationToken);
        }

        if ((await store.GetAsync(CrisisId, cancellationToken))?.Crisis.Status == CrisisStatus.Draft)
        {
            await crises.SaveContentAsync(CrisisId, Content, null, Actor, cancellationToken);
            await crises.PublishContentAsync(CrisisId, Actor, cancellationToken);
            await crises.MoveAsync(CrisisId, CrisisStatus.Active, null, Actor, cancellationToken);
        }

        if ((await store.GetAsync(CrisisId, cancellationToken))?.Crisis.Status == CrisisStatus.Active && (await store.ListUpdatesAsync(CrisisId, cancellationToken)).Count == 0)
        {
            await AddUpdateAsync(crises, cancellationToken);
        }
    }

    private static async Task AddUpdateAsync(CrisisService crises, CancellationToken cancellationToken)
    {
        await crises.AddUpdateAsync(CrisisId, new()
        {
            ["en"] = "Flooding has closed two of our regional depots. Deliveries in the north are delayed by up to 3 days.",
            ["cy"] = "Mae llifogydd wedi cau dau o'n depos rhanbarthol. Mae danfoniadau yn y gogledd wedi'u hoedi hyd at 3 diwrnod.",
            ["fa"] = "سیل دو انبار منطقه‌ای ما را تعطیل کرده است. ارسال‌ها در شمال تا ۳ روز با تأخیر انجام می‌شود.",
            ["sw"] = "Mafuriko yamefunga maghala yetu mawili ya kanda. Usafirishaji kaskazini umechelewa hadi siku 3.",
        }, null, null, publish: true, Actor, cancellationToken);
    }

    private static CrisisRecord Crisis => new()
    {
        Id = CrisisId,
        Title = new()
        {
            ["en"] = "Regional flooding: delivery delays",
            ["cy"] = "Llifogydd rhanbarthol: oedi wrth ddanfon",
            ["fa"] = "سیل منطقه‌ای: تأخیر در ارسال",
            ["sw"] = "Mafuriko ya kanda: ucheleweshaji wa usafirishaji",
        },
        Summary = new()
        {
            ["en"] = "Severe flooding in the north has closed roads and two depots. Orders are safe; some will arrive late.",
            ["cy"] = "Mae llifogydd difrifol yn y gogledd wedi cau ffyrdd a dau ddepo. Mae archebion yn ddiogel; bydd rhai yn cyrraedd yn hwyr.",
            ["fa"] = "سیل شدید در شمال جاده‌ها و دو انبار را بسته است. سفارش‌ها در امان هستند؛ برخی دیرتر می‌رسند.",
            ["sw"] = "Mafuriko makubwa kaskazini yamefunga barabara na maghala mawili. Oda ziko salama; baadhi zitachelewa.",
        },
        Severity = Severity.Major,
        DefaultLanguage = "en",
        Languages = ["en", "cy", "fa", "sw"],
        Status = CrisisStatus.Draft,
        CreatedAt = default,
        UpdatedAt = default,
        Version = 0,
    };

    private static CrisisContent Content => new()
    {
        StatusText = new()
        {
            ["en"] = "Depots in Leeds and York are closed. All other regions deliver as normal.",
            ["cy"] = "Mae'r depos yn Leeds ac Efrog ar gau. Mae pob rhanbarth arall yn danfon fel arfer.",
            ["fa"] = "انبارهای لیدز و یورک بسته هستند. سایر مناطق طبق روال عادی ارسال می‌کنند.",
            ["sw"] = "Maghala ya Leeds na York yamefungwa. Kanda nyingine zote zinasafirisha kama kawaida.",
        },
        KeyDates =
        [
            new(new DateOnly(2026, 12, 15), new()
            {
                ["en"] = "Last day to cancel delayed orders for a full refund",
                ["cy"] = "Y diwrnod olaf i ganslo archebion sydd wedi'u hoedi am ad-daliad llawn",
                ["fa"] = "آخرین روز لغو سفارش‌های تأخیری با بازپرداخت کامل",
                ["sw"] = "Siku ya mwisho kughairi oda zilizochelewa kwa marejesho kamili",
            }),
        ],
        Policies =
        [
            new("refund", new()
            {
                ["en"] = "Refunds",
                ["cy"] = "Ad-daliadau",
                ["fa"] = "بازپرداخت",
                ["sw"] = "Marejesho ya pesa",
            }, new()
            {
                ["en"] = "Refunds for delayed orders are extended from 30 to 60 days.",
                ["cy"] = "Mae ad-daliadau ar gyfer archebion sydd wedi'u hoedi wedi'u hymestyn o 30 i 60 diwrnod.",
                ["fa"] = "مهلت بازپرداخت سفارش‌های تأخیری از ۳۰ به ۶۰ روز افزایش یافته است.",
                ["sw"] = "Marejesho ya oda zilizochelewa yameongezwa kutoka siku 30 hadi 60.",
            }, ChangedByCrisis: true),
        ],
        Channels =
        [
            new(Need.Technical, ChannelKind.LiveChat, "https://example.org/chat", null),
            new(Need.Delivery, ChannelKind.Sms, "sms:+447700900123", new() { ["en"] = "Text your order number to reach an agent." }),
            new(Need.Rescheduling, ChannelKind.Portal, "https://example.org/orders", null),
            new(Need.Emergency, ChannelKind.Phone, "tel:+447700900999", new() { ["en"] = "Answered by a person, day and night." }),
        ],
        Resources =
        [
            new(ResourceKind.GovernmentAid, "https://www.gov.uk/prepare-for-flooding", new()
            {
                ["en"] = "Government flood advice",
                ["cy"] = "Cyngor llifogydd y llywodraeth",
                ["fa"] = "راهنمای دولت درباره سیل",
                ["sw"] = "Ushauri wa serikali kuhusu mafuriko",
            }, null),
        ],
        Faq =
        [
            new("where-is-my-order", "delivery", 1, new()
            {
                ["en"] = "Where is my order?",
                ["cy"] = "Ble mae fy archeb?",
                ["fa"] = "سفارش من کجاست؟",
                ["sw"] = "Oda yangu iko wapi?",
            }, new()
            {
                ["en"] = "Orders from closed depots are stored safely and will ship as soon as roads reopen.",
                ["cy"] = "Mae archebion o ddepos sydd ar gau yn cael eu storio'n ddiogel a byddant yn cael eu hanfon cyn gynted ag y bydd y ffyrdd yn ailagor.",
                ["fa"] = "سفارش‌های انبارهای بسته به‌طور ایمن نگهداری می‌شوند و به محض بازگشایی جاده‌ها ارسال خواهند شد.",
                ["sw"] = "Oda kutoka maghala yaliyofungwa zimehifadhiwa salama na zitatumwa mara barabara zitakapofunguliwa.",
            }),
            new("refund", "refunds", 2, new()
            {
                ["en"] = "Can I get a refund?",
                ["cy"] = "Alla i gael ad-daliad?",
                ["fa"] = "آیا می‌توانم پولم را پس بگیرم؟",
                ["sw"] = "Je, ninaweza kurejeshewa pesa?",
            }, new()
            {
                ["en"] = "Yes. You can cancel a delayed order for a full refund within 60 days.",
                ["cy"] = "Gallwch. Gallwch ganslo archeb sydd wedi'i hoedi am ad-daliad llawn o fewn 60 diwrnod.",
                ["fa"] = "بله. می‌توانید سفارش تأخیری را تا ۶۰ روز لغو کنید و کل مبلغ را پس بگیرید.",
                ["sw"] = "Ndiyo. Unaweza kughairi oda iliyochelewa na kurejeshewa pesa zote ndani ya siku 60.",
            }),
        ],
    };
}
