using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;

namespace Crisis.Functions.PublicPages;

/// <summary>Renders the published state of a crisis into the documents the public reads, one set per language.</summary>
public static class PageRenderer
{
    /// <summary>The page in one language; the next update is expected when the crisis' public promise says.</summary>
    public static PublicPage Page(CrisisRecord crisis, CrisisContent content, IReadOnlyList<CrisisUpdate> updates, string language, DateTimeOffset publishedAt, PublicLinks links)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(updates);
        string Text(Dictionary<string, string>? texts) => texts is null ? "" : crisis.Localised(texts, language);
        string? Optional(Dictionary<string, string>? texts) => texts is null || texts.Count == 0 ? null : Text(texts);
        string? Lang(Dictionary<string, string>? texts) => FallbackLanguage(crisis, texts, language);

        var published = updates.Where(u => u.IsPublic).OrderByDescending(u => u.PublishedAt).ThenByDescending(u => u.Id, StringComparer.Ordinal).ToList();
        return new PublicPage(
            crisis.Id,
            language,
            Languages.Direction(language),
            crisis.Languages,
            crisis.Status,
            crisis.Severity,
            Text(crisis.Title),
            Text(crisis.Summary),
            Optional(content.StatusText),
            publishedAt,
            published.FirstOrDefault()?.PublishedAt,
            crisis.NextUpdateExpectedAt,
            crisis.ExpectedEndAt,
            published.Select(u => new PublicUpdate(u.Id, u.PublishedAt!.Value, Text(u.Text), u.NextUpdateExpectedAt, Lang(u.Text), u.Topic)).ToList(),
            content.KeyDates.OrderBy(d => d.Date).Select(d => new PublicKeyDate(d.Date, Text(d.Label), Lang(d.Label))).ToList(),
            content.Policies.Select(p => new PublicPolicy(p.Key, Text(p.Title), Text(p.Text), p.ChangedByCrisis, Lang(p.Title), Lang(p.Text))).ToList(),
            content.Channels.Select(c => new PublicChannel(c.Need, c.Channel, c.Contact, Optional(c.Note), Lang(c.Note))).ToList(),
            content.Resources.Select(r => new PublicResource(r.Kind, r.Url, Text(r.Title), Optional(r.Description), Lang(r.Title), Lang(r.Description))).ToList(),
            content.Faq.Count,
            links,
            Lang(crisis.Title),
            Lang(crisis.Summary),
            Lang(content.StatusText),
            crisis.TimeZone);
    }

    public static PublicFaq Faq(CrisisRecord crisis, CrisisContent content, string language)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(content);
        var entries = content.Faq
            .OrderBy(f => f.Order).ThenBy(f => f.Id, StringComparer.Ordinal)
            .Select(f => new PublicFaqEntry(f.Id, f.Category, f.Order, crisis.Localised(f.Question, language), crisis.Localised(f.Answer, language),
                FallbackLanguage(crisis, f.Question, language), FallbackLanguage(crisis, f.Answer, language)))
            .ToList();
        return new PublicFaq(crisis.Id, language, Languages.Direction(language), null, entries);
    }

    /// <summary>
    /// An Atom 1.0 feed (RFC 4287) of the published updates, newest first. Texts are written as escaped
    /// <c>type="text"</c> content, so no markup from an update can reach a feed reader.
    /// </summary>
    public static byte[] AtomFeed(CrisisRecord crisis, IReadOnlyList<CrisisUpdate> updates, string language, DateTimeOffset publishedAt, PublicLinks links, string publisher)
    {
        ArgumentNullException.ThrowIfNull(crisis);
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(links);
        var published = updates.Where(u => u.IsPublic).OrderByDescending(u => u.PublishedAt).ToList();
        var alternate = links.Preferred;

        // The organisation's own page and this app's page are both HTML.
        const string alternateType = "text/html";
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            const string atom = "http://www.w3.org/2005/Atom";
            xml.WriteStartDocument();
            xml.WriteStartElement("feed", atom);
            xml.WriteAttributeString("xml", "lang", null, language);
            xml.WriteElementString("id", atom, StableUri(crisis.Id, language));
            xml.WriteElementString("title", atom, UnicodeText.ForXml(crisis.Localised(crisis.Title, language)));
            xml.WriteElementString("subtitle", atom, UnicodeText.ForXml(crisis.Localised(crisis.Summary, language)));
            xml.WriteElementString("updated", atom, Timestamp(published.FirstOrDefault()?.PublishedAt ?? publishedAt));
            Link(xml, atom, "self", "application/atom+xml", links.Feed);
            Link(xml, atom, "alternate", alternateType, alternate);
            xml.WriteStartElement("author", atom);
            xml.WriteElementString("name", atom, UnicodeText.ForXml(publisher));
            xml.WriteEndElement();
            foreach (var update in published)
            {
                var text = UnicodeText.ForXml(crisis.Localised(update.Text, language));
                xml.WriteStartElement("entry", atom);
                if (FallbackLanguage(crisis, update.Text, language) is { } fallback)
                {
                    xml.WriteAttributeString("xml", "lang", null, fallback);
                }

                xml.WriteElementString("id", atom, StableUri(crisis.Id, update.Id));
                xml.WriteElementString("title", atom, Headline(text));
                xml.WriteElementString("updated", atom, Timestamp(update.PublishedAt!.Value));
                xml.WriteElementString("published", atom, Timestamp(update.PublishedAt!.Value));
                Link(xml, atom, "alternate", alternateType, alternate);
                xml.WriteStartElement("content", atom);
                xml.WriteAttributeString("type", "text");
                xml.WriteString(text);
                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }

    /// <summary>The language a text is shown in when it is not <paramref name="language"/> (the default's fallback), else null.</summary>
    private static string? FallbackLanguage(CrisisRecord crisis, Dictionary<string, string>? texts, string language) =>
        texts is null || texts.Count == 0 || texts.ContainsKey(language) ? null : crisis.DefaultLanguage;

    private static void Link(XmlWriter xml, string ns, string rel, string? type, string href)
    {
        xml.WriteStartElement("link", ns);
        xml.WriteAttributeString("rel", rel);
        if (type is not null)
        {
            xml.WriteAttributeString("type", type);
        }

        xml.WriteAttributeString("href", href);
        xml.WriteEndElement();
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The first line of an update, shortened to a headline without cutting a character in half.</summary>
    private static string Headline(string text) => UnicodeText.Shorten(text.Split('\n', 2)[0].Trim(), 100);

    /// <summary>A name-based UUID URN: the same crisis and item always get the same Atom id, whatever the host name.</summary>
    private static string StableUri(string crisisId, string item)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"crisis-functions/{crisisId}/{item}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return "urn:uuid:" + new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }
}
