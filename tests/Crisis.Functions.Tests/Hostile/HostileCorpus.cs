using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Hostile;

/// <summary>
/// The hostile corpus, built in code (lone surrogates and raw bytes cannot survive attribute data): per family of
/// routes, requests that must each be refused with a 4xx problem and change nothing.
/// </summary>
public static class HostileCorpus
{
    private const string Marker = "@@hostile-value@@";

    public static JsonObject ValidUpdate(bool publish = false) => new() { ["text"] = new JsonObject { ["en"] = "Depots reopen on Monday.", ["fa"] = "انبارها دوشنبه باز می‌شوند." }, ["publish"] = publish };

    public static JsonObject ValidStakeholder() => new() { ["name"] = "Ops lead", ["role"] = "decision-maker", ["language"] = "en", ["timeZone"] = "UTC", ["email"] = "ops@example.org", ["areas"] = new JsonArray("north") };

    public static JsonObject ValidExpectedUpdate(string ownerId) => new() { ["ownerId"] = ownerId, ["topic"] = "Power", ["dueAt"] = DateTimeOffset.UtcNow.AddDays(2).ToString("O", CultureInfo.InvariantCulture), ["cadence"] = "04:00:00" };

    public static JsonObject ValidCannedResponse() => new() { ["name"] = "Refunds", ["snippets"] = new JsonObject { ["en"] = new JsonArray("We are sorry.", "Refunds take five days.") }, ["tags"] = new JsonArray("refund") };

    public static JsonObject ValidTouchpoint() => new() { ["kind"] = "website-banner", ["name"] = "Home banner", ["defaultLanguage"] = "en", ["normal"] = new JsonObject { ["en"] = "All services running." } };

    public static JsonObject ValidOverride() => new() { ["text"] = new JsonObject { ["en"] = "We have an outage." } };

    public static JsonObject ValidQuestion() => new() { ["text"] = "When will power be back?", ["language"] = "en", ["contact"] = "asker@example.org" };

    public static JsonObject ValidSubscription(string crisisId) => new() { ["email"] = "reader@example.org", ["scope"] = crisisId, ["language"] = "en" };

    /// <summary>Every route that reads a JSON body, with one body it would accept (so that each mutation below is the only thing wrong).</summary>
    public static IReadOnlyList<BodyRoute> BodyRoutes(HostileFixture f)
    {
        var c = f.CrisisId;
        return
        [
            new("crises", HttpMethod.Post, "/api/admin/crises", Caller.Admin, CrisisFixtures.NewCrisis("en", "fa"), "title.en", "summary.fa"),
            new("crises", HttpMethod.Patch, $"/api/admin/crises/{c}", Caller.Admin, new JsonObject { ["title"] = new JsonObject { ["en"] = "Renamed" } }, "title.en"),
            new("crises", HttpMethod.Put, $"/api/admin/crises/{c}/content", Caller.Admin, new JsonObject()),
            new("updates", HttpMethod.Post, $"/api/admin/crises/{c}/updates", Caller.Admin, ValidUpdate(), "text.en", "text.fa"),
            new("updates", HttpMethod.Post, $"/api/admin/crises/{c}/updates/{f.UpdateId}/retract", Caller.Admin, new JsonObject { ["reason"] = "Wrong day" }, "reason"),
            new("stakeholders", HttpMethod.Post, "/api/admin/stakeholders", Caller.Admin, ValidStakeholder(), "name", "areas[0]"),
            new("stakeholders", HttpMethod.Put, $"/api/admin/stakeholders/{f.StakeholderId}", Caller.Admin, ValidStakeholder(), "name"),
            new("stakeholders", HttpMethod.Post, $"/api/admin/crises/{c}/expected-updates", Caller.Admin, ValidExpectedUpdate(f.StakeholderId), "topic", "area"),
            new("canned", HttpMethod.Post, $"/api/admin/crises/{c}/canned-responses", Caller.Admin, ValidCannedResponse(), "name", "snippets.en[0]", "tags[0]"),
            new("canned", HttpMethod.Put, $"/api/admin/crises/{c}/canned-responses/{f.CannedResponseId}", Caller.Admin, ValidCannedResponse(), "snippets.en[1]"),
            new("canned", HttpMethod.Post, $"/api/admin/crises/{c}/canned-responses/{f.CannedResponseId}/approve", Caller.Admin, new JsonObject
            {
                ["checklist"] = new JsonObject { ["empathy"] = true, ["clarity"] = true, ["consistency"] = true, ["realism"] = true, ["helpfulness"] = true },
                ["notes"] = "Fine",
            }, "notes"),
            new("triage", HttpMethod.Put, $"/api/admin/crises/{c}/triage-rules", Caller.Admin, new JsonObject
            {
                ["rules"] = new JsonArray(new JsonObject { ["tag"] = "refund", ["keywords"] = new JsonObject { ["en"] = new JsonArray("refund", "money back") }, ["need"] = "billing" }),
            }, "rules[0].keywords.en[0]", "rules[0].tag"),
            new("triage", HttpMethod.Post, $"/api/agent/crises/{c}/triage", Caller.Agent, new JsonObject { ["text"] = "I want a refund", ["language"] = "en" }, "text"),
            new("touchpoints", HttpMethod.Put, $"/api/admin/touchpoints/{HostileFixture.TouchpointId}", Caller.Admin, ValidTouchpoint(), "name", "normal.en"),
            new("touchpoints", HttpMethod.Put, $"/api/admin/crises/{c}/touchpoints/{HostileFixture.TouchpointId}", Caller.Admin, ValidOverride(), "text.en"),
            new("source-of-truth", HttpMethod.Put, $"/api/admin/crises/{c}/source-of-truth", Caller.Admin, new JsonObject
            {
                ["impact"] = "Power is out in the north.",
                ["decisionMakers"] = new JsonArray("Ops lead"),
                ["decisions"] = new JsonArray(new JsonObject { ["text"] = "Open depots", ["date"] = "2026-12-01", ["decidedBy"] = "Ops lead" }),
                ["approvedWording"] = new JsonArray(new JsonObject { ["key"] = "eta", ["text"] = new JsonObject { ["en"] = "Back by Monday." } }),
            }, "impact", "decisions[0].text", "approvedWording[0].text.en", "decisionMakers[0]"),
            new("source-of-truth", HttpMethod.Post, $"/api/admin/crises/{c}/source-of-truth/subscribers", Caller.Admin, new JsonObject { ["name"] = "Staff", ["email"] = "staff@example.org" }, "name"),
            new("questions", HttpMethod.Post, $"/api/crises/{c}/questions", Caller.Anonymous, ValidQuestion(), "text"),
            new("questions", HttpMethod.Post, $"/api/admin/crises/{c}/questions/{f.QuestionId}/answer", Caller.Admin, new JsonObject { ["faqEntryId"] = "no-such-entry" }, "faqEntryId"),
            new("questions", HttpMethod.Post, $"/api/crises/{c}/faq/no-such-entry/votes", Caller.Anonymous, new JsonObject { ["helpful"] = true }),
            new("subscriptions", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous, ValidSubscription(c), "topics"),
            new("subscriptions", HttpMethod.Patch, $"/api/subscriptions/manage?token={Uri.EscapeDataString(f.Tokens.Create(SubscriptionLinks.ManagePurpose, f.SubscriberId, TimeSpan.FromDays(1)))}",
                Caller.Anonymous, new JsonObject { ["language"] = "fa" }),
            new("stakeholder-actions", HttpMethod.Post, "/api/stakeholder-actions/acknowledge", Caller.Anonymous,
                new JsonObject { ["token"] = ForgedActionToken(f), ["note"] = "On it" }, "note"),
            new("stakeholder-actions", HttpMethod.Post, "/api/stakeholder-actions/post-update", Caller.Anonymous,
                new JsonObject { ["token"] = ForgedActionToken(f), ["text"] = new JsonObject { ["en"] = "Fixed" } }, "text.en"),
        ];
    }

    /// <summary>A reminder action token signed with another key: the body around it is what each case varies.</summary>
    private static string ForgedActionToken(HostileFixture f)
    {
        var real = f.Tokens.Create(ReminderTimer.ActionPurpose, $"{f.CrisisId}|{f.ExpectedUpdateId}|1|{f.StakeholderId}", TimeSpan.FromDays(1));
        return real[..^4] + (real[^4] == 'A' ? "BBBB" : "AAAA");
    }

    /// <summary>Bodies no route may accept: not JSON, not an object, too deep, too big, badly encoded, sent as another type, or with a property too many.</summary>
    public static IEnumerable<HostileCase> MalformedBodies(IReadOnlyList<BodyRoute> routes)
    {
        var families = new HashSet<string>();
        return routes.SelectMany(route => MalformedBodies(route, everyForm: families.Add(route.Family)));
    }

    /// <summary>
    /// The bodies every route is sent; with <paramref name="everyForm"/> (the first route of each family) also every
    /// other malformed form, which the one shared reader refuses the same way on every route.
    /// </summary>
    private static IEnumerable<HostileCase> MalformedBodies(BodyRoute route, bool everyForm)
    {
        var valid = route.Valid.ToJsonString();
        var name = $"{route.Method} {route.Path.Split('?')[0]}";
        HostileCase Case(string what, byte[]? body, string? contentType = "application/json") => new($"{name}: {what}", route.Method, route.Path, route.Caller, body, contentType);
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        yield return Case("no body", null, null);
        yield return Case("cut short", Utf8(valid[..(valid.Length / 2)]));
        yield return Case("an array", Utf8("[" + valid + "]"));
        yield return Case("nested 10 000 deep", Utf8(new string('[', 10_000) + new string(']', 10_000)));
        yield return Case("3 MB of one string", Utf8("{\"x\":\"" + new string('a', 3_000_000) + "\"}"));
        yield return Case("invalid UTF-8 in a string", [.. Utf8("{\"x\":\""), 0xFF, 0xFE, 0xC0, 0xAF, .. Utf8("\"}")]);
        yield return Case("an unknown property", Utf8(valid[..^1] + (valid.Length > 2 ? "," : "") + "\"__proto__\":{\"admin\":true}}"));
        yield return Case("text/plain", Utf8(valid), "text/plain");
        if (everyForm)
        {
            yield return Case("empty body", []);
            yield return Case("only an opening brace", Utf8("{"));
            yield return Case("null", Utf8("null"));
            yield return Case("a string", Utf8("\"" + route.Family + "\""));
            yield return Case("a number", Utf8("42"));
            yield return Case("an object nested 40 deep", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40)));
            yield return Case("an encoded surrogate in UTF-8", [.. Utf8("{\"x\":\""), 0xED, 0xA0, 0x80, .. Utf8("\"}")]);
            yield return Case("a trailing comma", Utf8(valid[..^1] + ",}"));
            yield return Case("a comment", Utf8("/* hello */" + valid));
            yield return Case("two documents", Utf8(valid + valid));
            yield return Case("form-encoded", Utf8(valid), "application/x-www-form-urlencoded");
            yield return Case("XML", Utf8("<crisis><title>x</title></crisis>"), "application/xml");
            yield return Case("multipart", Utf8("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + valid + "\r\n--b--"), "multipart/form-data; boundary=b");
            yield return Case("UTF-16 JSON", Encoding.Unicode.GetBytes(valid), "application/json; charset=utf-16");
            if (route.Valid.Count > 0)
            {
                yield return Case("single quotes", Utf8(valid.Replace('"', '\'')));
            }
        }

        if (route.Valid.Count > 0)
        {
            var first = route.Valid.First();
            yield return Case($"the property '{first.Key}' twice", Utf8(valid[..^1] + $",\"{first.Key}\":" + (first.Value?.ToJsonString() ?? "null") + "}"));
            foreach (var (property, value) in route.Valid)
            {
                if (value is JsonArray)
                {
                    yield return Case($"'{property}' as a list holding null", Replace(route.Valid, property, new JsonArray((JsonNode?)null)));
                }

                yield return Case($"'{property}' of the wrong type", Replace(route.Valid, property, value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? JsonValue.Create(12345) : JsonValue.Create("wrong")));
            }
        }
    }

    /// <summary>Texts the storage and every renderer must never see: noncharacters, lone surrogates, direction overrides, unbalanced isolates, NUL, and texts far past any limit.</summary>
    public static IEnumerable<(string Name, string Text)> HostileTexts()
    {
        yield return ("U+FFFE", "Power \uFFFE back");
        yield return ("U+FFFF", "Power \uFFFF back");
        yield return ("U+FDD0", "Power \uFDD0 back");
        yield return ("U+1FFFF", "Power " + char.ConvertFromUtf32(0x1FFFF) + " back");
        yield return ("a lone high surrogate", "Power " + (char)0xD83D + " back");
        yield return ("a lone low surrogate", "Power " + (char)0xDE00 + " back");
        yield return ("a high surrogate at the end", "Power back " + (char)0xD83D);
        yield return ("surrogates in the wrong order", "Power " + (char)0xDE00 + (char)0xD83D + " back");
        yield return ("a right-to-left override", "Refund \u202Etxt.exe");
        yield return ("a left-to-right embedding", "\u202ARefund");
        yield return ("an isolate never closed", "\u2067Refund");
        yield return ("an isolate closed but never opened", "Refund\u2069");
        yield return ("NUL", "Power\0back");
        yield return ("one grapheme cluster of 20 000 combining marks", "e" + new string('\u0301', 20_000));
        yield return ("ZWJ family emoji past every limit", string.Concat(Enumerable.Repeat("👩‍👩‍👧‍👦", 3_000)));
        yield return ("100 000 letters", new string('a', 100_000));
    }

    public static IEnumerable<HostileCase> HostileTextFields(BodyRoute route)
    {
        string[] sharpest = ["U+FFFE", "U+FFFF", "a lone high surrogate", "a right-to-left override", "100 000 letters"];
        foreach (var field in route.TextFields)
        {
            foreach (var (what, text) in HostileTexts().Where(t => field == route.TextFields[0] || sharpest.Contains(t.Name)))
            {
                yield return new($"{route.Method} {route.Path.Split('?')[0]}: {field} with {what}", route.Method, route.Path, route.Caller, WithRawText(route.Valid, field, text));
            }
        }
    }

    /// <summary>Values in a path segment where an id goes: traversal, injection, control characters, non-UTF-8, overlong.</summary>
    public static readonly string[] HostileIds =
    [
        "..%2F..%2Fadmin%2Fcrises", "..%5C..%5Cwindows", new string('a', 300), "%C3%BCn%C3%AFc%C3%B6d%C3%A9", "%00", "%20", "x%27%20or%20%271%27%3D%271",
        "PartitionKey%20eq%20%27x%27", "%F0%9F%98%80", "%EF%BF%BF", "%ED%A0%80", "%FF%FE", "%2A", "%0D%0ASet-Cookie%3A%20x%3D1", "%E2%80%AEabc", "CON",
    ];

    public static IEnumerable<HostileCase> Ids(HostileFixture f)
    {
        var c = f.CrisisId;
        var templates = new (string Family, HttpMethod Method, string Path, Caller Caller)[]
        {
            ("crises", HttpMethod.Get, "/api/admin/crises/{x}", Caller.Admin),
            ("crises", HttpMethod.Post, "/api/admin/crises/{x}/activate", Caller.Admin),
            ("crises", HttpMethod.Get, "/api/admin/crises/{x}/audit", Caller.Admin),
            ("updates", HttpMethod.Post, $"/api/admin/crises/{c}/updates/{{x}}/publish", Caller.Admin),
            ("stakeholders", HttpMethod.Get, "/api/admin/stakeholders/{x}", Caller.Admin),
            ("stakeholders", HttpMethod.Delete, "/api/admin/stakeholders/{x}", Caller.Admin),
            ("stakeholders", HttpMethod.Post, $"/api/admin/crises/{c}/expected-updates/{{x}}/cancel", Caller.Admin),
            ("canned", HttpMethod.Get, $"/api/admin/crises/{c}/canned-responses/{{x}}", Caller.Admin),
            ("canned", HttpMethod.Post, $"/api/admin/crises/{c}/canned-responses/{{x}}/submit", Caller.Admin),
            ("source-of-truth", HttpMethod.Get, $"/api/agent/crises/{c}/source-of-truth/versions/{{x}}", Caller.Agent),
            ("subscriptions", HttpMethod.Delete, "/api/admin/subscribers/{x}", Caller.Admin),
            ("touchpoints", HttpMethod.Post, "/api/admin/touchpoints/{x}/restore", Caller.Admin),
            ("public", HttpMethod.Get, "/api/crises/{x}", Caller.Anonymous),
            ("public", HttpMethod.Get, "/api/crises/{x}/feed.atom", Caller.Anonymous),
            ("public", HttpMethod.Get, "/api/touchpoints/{x}", Caller.Anonymous),
        };
        foreach (var (_, method, path, caller) in templates)
        {
            foreach (var id in HostileIds)
            {
                // The HTTP server itself refuses a NUL in the path (400, no body) before any function sees it.
                yield return new($"{method} {path} with {{x}} = {(id.Length > 40 ? id[..20] + $"… ({id.Length})" : id)}", method, path.Replace("{x}", id, StringComparison.Ordinal), caller,
                    Refusal: id == "%00" ? Refusal.ByServer : Refusal.Problem);
            }
        }

        foreach (var version in new[] { "-1", "0", "99999999999999999999", "1e3", "0x10", "1.5" })
        {
            yield return new($"GET source-of-truth version {version}", HttpMethod.Get, $"/api/agent/crises/{c}/source-of-truth/versions/{version}", Caller.Agent);
        }
    }

    public static IEnumerable<HostileCase> Queries(HostileFixture f)
    {
        var c = f.CrisisId;
        foreach (var lang in new[] { "%00", "en-", "-en", new string('a', 300), "..%2F..", "en%0D%0AX%3A1", "%FF", "x_y!", "%EF%BF%BF", "en--GB", "1234567890" })
        {
            foreach (var path in new[] { $"/api/crises/{c}", $"/api/crises/{c}/faq", $"/api/crises/{c}/feed.atom", "/api/crises", $"/api/touchpoints/{HostileFixture.TouchpointId}" })
            {
                yield return new($"GET {path} with lang={(lang.Length > 20 ? "a×300" : lang)}", HttpMethod.Get, $"{path}?lang={lang}", Caller.Anonymous);
            }
        }

        foreach (var (path, query) in new[]
        {
            ($"/api/admin/crises/{c}/audit", "pageSize=-1"), ($"/api/admin/crises/{c}/audit", "pageSize=0"), ($"/api/admin/crises/{c}/audit", "pageSize=1000000"),
            ($"/api/admin/crises/{c}/audit", "pageSize=abc"), ($"/api/admin/crises/{c}/audit", "pageSize=1e3"), ($"/api/admin/crises/{c}/audit", "continuation=garbage"),
            ($"/api/admin/crises/{c}/audit", "continuation=%FF%FE"), ($"/api/admin/crises/{c}/audit", "continuation=" + new string('A', 5000)),
            ($"/api/admin/crises/{c}/subscribers", "status=bogus"), ($"/api/admin/crises/{c}/subscribers", "channel=pigeon"), ($"/api/admin/crises/{c}/subscribers", "pageSize=-5"),
            ($"/api/admin/crises/{c}/subscribers", "continuationToken=garbage"), ($"/api/admin/crises/{c}/subscribers", "continuationToken=a~b~c"),
            ($"/api/admin/crises/{c}/updates/{f.UpdateId}/notifications/recipients", "pageSize=0"), ($"/api/admin/crises/{c}/updates/{f.UpdateId}/notifications/recipients", "continuationToken=%00"),
            ($"/api/admin/crises/{c}/questions", "status=bogus"), ($"/api/admin/crises/{c}/questions", "status=%00"),
            ($"/api/agent/crises/{c}/canned-responses", "q=" + new string('q', 5000)), ($"/api/crises/{c}/faq", "q=" + new string('q', 5000)),
            ($"/api/agent/crises/{c}/canned-responses", "q=%EF%BF%BE"), ($"/api/crises/{c}/faq", "q=%EF%BF%BE"),
            ($"/api/crises/{c}/faq", "q=%E2%80%AEabc"),
        })
        {
            var caller = path.StartsWith("/api/agent", StringComparison.Ordinal) ? Caller.Agent : path.StartsWith("/api/admin", StringComparison.Ordinal) ? Caller.Admin : Caller.Anonymous;
            yield return new($"GET {path} with {(query.Length > 40 ? query[..20] + "…" : query)}", HttpMethod.Get, $"{path}?{query}", caller);
        }
    }

    public static IEnumerable<HostileCase> Headers(HostileFixture f)
    {
        var c = f.CrisisId;
        byte[] Json(JsonObject body) => Encoding.UTF8.GetBytes(body.ToJsonString());
        KeyValuePair<string, string>[] Header(string name, string value) => [new(name, value)];

        var preconditioned = new (HttpMethod Method, string Path, JsonObject Body)[]
        {
            (HttpMethod.Patch, $"/api/admin/crises/{c}", new JsonObject { ["title"] = new JsonObject { ["en"] = "Renamed" } }),
            (HttpMethod.Put, $"/api/admin/crises/{c}/content", new JsonObject()),
            (HttpMethod.Put, $"/api/admin/crises/{c}/triage-rules", new JsonObject { ["rules"] = new JsonArray() }),
        };
        foreach (var (method, path, body) in preconditioned)
        {
            foreach (var etag in new[] { "\"v999\"", "\"d999\"", "\"t999\"", "garbage", "W/\"v1\"", "\"\"", "\"v1\", \"v2\"", "\"" + new string('9', 300) + "\"" })
            {
                yield return new($"{method} {path} with If-Match {(etag.Length > 30 ? "a 300-digit tag" : etag)}", method, path, Caller.Admin, Json(body), Headers: Header("If-Match", etag));
            }
        }

        foreach (var key in new[] { new string('k', 256), "two words", "tab\there", new string('k', 5000) })
        {
            yield return new($"subscribe with Idempotency-Key '{(key.Length > 20 ? key[..10] + "…" : key)}'", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
                Json(ValidSubscription(c)), Headers: Header("Idempotency-Key", key));
        }

        foreach (var forwarded in new[] { "garbage", "999.999.999.999", "::1", "[::1]:80", "unknown", string.Join(", ", Enumerable.Repeat("10.0.0.1", 1000)), "127.0.0.1\u0000" })
        {
            yield return new($"an invalid subscribe with X-Forwarded-For {(forwarded.Length > 20 ? "1000 hops" : forwarded)}", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
                Encoding.UTF8.GetBytes("{\"email\":1}"), Headers: Header("X-Forwarded-For", forwarded), Refusal: forwarded.Contains('\0', StringComparison.Ordinal) ? Refusal.ByServer : Refusal.Problem);
        }

        var adminRoutes = new (HttpMethod Method, string Path, byte[]? Body)[]
        {
            (HttpMethod.Get, "/api/admin/crises", null), (HttpMethod.Post, "/api/admin/crises", Json(CrisisFixtures.NewCrisis("en"))),
            (HttpMethod.Post, $"/api/admin/crises/{c}/end", null), (HttpMethod.Get, "/api/admin/stakeholders", null),
            (HttpMethod.Put, $"/api/admin/touchpoints/{HostileFixture.TouchpointId}", Json(ValidTouchpoint())), (HttpMethod.Get, $"/api/admin/crises/{c}/review", null),
            (HttpMethod.Delete, $"/api/admin/subscribers/{f.SubscriberId}", null), (HttpMethod.Post, $"/api/admin/crises/{c}/updates", Json(ValidUpdate(publish: true))),
            (HttpMethod.Put, $"/api/admin/crises/{c}/source-of-truth", Json(new JsonObject())), (HttpMethod.Get, $"/api/agent/crises/{c}/source-of-truth", null),
        };
        var adminKey = CrisisAppFactory.AdminKey;
        foreach (var (method, path, body) in adminRoutes)
        {
            foreach (var (what, authorization) in new (string, string?)[]
            {
                ("no credentials", null), ("a wrong key", "Bearer not-the-key"), ("the key cut short", "Bearer " + adminKey[..^1]), ("the key with more", "Bearer " + adminKey + "0"),
                ("the key upper-cased", "Bearer " + adminKey.ToUpperInvariant()), ("Basic", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + adminKey))),
                ("an empty bearer", "Bearer "), ("the key's hash", "Bearer " + Access.ApiKeyAuthenticationHandler.Hash(adminKey)),
            })
            {
                yield return new($"{method} {path} with {what}", method, path, Caller.Anonymous, body, Authorization: authorization);
            }

            if (!path.StartsWith("/api/agent", StringComparison.Ordinal))
            {
                yield return new($"{method} {path} as an agent", method, path, Caller.Agent, body);
            }
        }
    }

    public static IEnumerable<HostileCase> Tokens(HostileFixture f)
    {
        var tokens = f.Tokens;
        var manage = tokens.Create(SubscriptionLinks.ManagePurpose, f.SubscriberId, TimeSpan.FromDays(1));
        var unsubscribe = tokens.Create(SubscriptionLinks.UnsubscribePurpose, f.SubscriberId, TimeSpan.FromDays(1));
        var action = tokens.Create(ReminderTimer.ActionPurpose, $"{f.CrisisId}|{f.ExpectedUpdateId}|1|{f.StakeholderId}", TimeSpan.FromDays(1));
        var routes = new (string Name, HttpMethod Method, string Path, string Purpose, string Subject, string WrongPurpose, Func<string, byte[]?> Body, string? ContentType)[]
        {
            ("confirm page", HttpMethod.Get, "/api/subscriptions/confirm", SubscriptionLinks.ConfirmPurpose, $"{f.SubscriberId}|nonce", manage, _ => null, null),
            ("confirm", HttpMethod.Post, "/api/subscriptions/confirm", SubscriptionLinks.ConfirmPurpose, $"{f.SubscriberId}|nonce", manage, _ => null, null),
            ("manage read", HttpMethod.Get, "/api/subscriptions/manage", SubscriptionLinks.ManagePurpose, f.SubscriberId, unsubscribe, _ => null, null),
            ("manage change", HttpMethod.Patch, "/api/subscriptions/manage", SubscriptionLinks.ManagePurpose, f.SubscriberId, unsubscribe, _ => Encoding.UTF8.GetBytes("{\"language\":\"fa\"}"), "application/json"),
            ("erase", HttpMethod.Delete, "/api/subscriptions/manage", SubscriptionLinks.ManagePurpose, f.SubscriberId, unsubscribe, _ => null, null),
            ("unsubscribe page", HttpMethod.Get, "/api/subscriptions/unsubscribe", SubscriptionLinks.UnsubscribePurpose, f.SubscriberId, manage, _ => null, null),
            ("one-click unsubscribe", HttpMethod.Post, "/api/subscriptions/unsubscribe", SubscriptionLinks.UnsubscribePurpose, f.SubscriberId, manage,
                _ => Encoding.UTF8.GetBytes("List-Unsubscribe=One-Click"), "application/x-www-form-urlencoded"),
            ("stakeholder action", HttpMethod.Get, "/api/stakeholder-actions", ReminderTimer.ActionPurpose, $"{f.CrisisId}|{f.ExpectedUpdateId}|1|{f.StakeholderId}", manage, _ => null, null),
        };
        foreach (var route in routes)
        {
            var good = tokens.Create(route.Purpose, route.Subject, TimeSpan.FromDays(1));
            var parts = good.Split('.');
            foreach (var (what, token) in TokenVariants(good, parts, tokens.Create(route.Purpose, route.Subject, TimeSpan.FromMinutes(-5)), route.WrongPurpose))
            {
                var path = token is null ? route.Path : $"{route.Path}?token={token}";
                yield return new($"{route.Name} with {what}", route.Method, path, Caller.Anonymous, route.Body(good), route.ContentType,
                    Refusal: route.Name.EndsWith(" page", StringComparison.Ordinal) ? Refusal.Page : Refusal.Problem);
            }
        }

        foreach (var endpoint in new[] { "acknowledge", "post-update" })
        {
            var parts = action.Split('.');
            foreach (var (what, token) in TokenVariants(action, parts, tokens.Create(ReminderTimer.ActionPurpose, parts[0], TimeSpan.FromMinutes(-5)), manage))
            {
                var body = new JsonObject { ["token"] = token is null ? null : Uri.UnescapeDataString(token) };
                if (endpoint == "post-update")
                {
                    body["text"] = new JsonObject { ["en"] = "Fixed" };
                }

                yield return new($"{endpoint} with {what}", HttpMethod.Post, $"/api/stakeholder-actions/{endpoint}", Caller.Anonymous, Encoding.UTF8.GetBytes(body.ToJsonString()));
            }
        }
    }

    /// <summary>A signed token's forgeries and other spellings, URL-escaped as they would travel in a link.</summary>
    private static IEnumerable<(string What, string? Token)> TokenVariants(string good, string[] parts, string expired, string wrongPurpose)
    {
        static string Flip(string text) => text[..^1] + (text[^1] == 'A' ? 'Q' : 'A');
        static string Escape(string text) => Uri.EscapeDataString(text);
        yield return ("no token", null);
        yield return ("an empty token", "");
        yield return ("three dots", "a.b.c");
        yield return ("its signature tampered", Escape(Flip(good)));
        yield return ("its claims tampered", Escape($"{parts[0]}.{Flip(parts[1])}.{parts[2]}"));
        yield return ("another key id", Escape($"other.{parts[1]}.{parts[2]}"));
        yield return ("an expired token", Escape(expired));
        yield return ("a token for another purpose", Escape(wrongPurpose));
        yield return ("padding added", Escape(good + "=="));
        yield return ("standard base64 letters", Escape($"{parts[0]}.{parts[1]}.{parts[2].Replace('-', '+').Replace('_', '/')}" + (parts[2].Contains('-', StringComparison.Ordinal) || parts[2].Contains('_', StringComparison.Ordinal) ? "" : "+")));
        yield return ("the key id upper-cased", Escape($"{parts[0].ToUpperInvariant()}.{parts[1]}.{parts[2]}"));
        yield return ("spaces around it", Escape(" " + good + " "));
        yield return ("a fourth part", Escape(good + ".x"));
        yield return ("3 000 characters", Escape(good + new string('A', 3000)));
        yield return ("escaped twice", Uri.EscapeDataString(Escape(good.Replace('.', '%'))));
    }

    public static IEnumerable<HostileCase> Urls(HostileFixture f)
    {
        var addresses = new[]
        {
            "http://127.0.0.1:1/hook", "http://[::1]/hook", "http://10.0.0.1/hook", "http://192.168.1.10/hook", "http://172.16.5.5/hook", "http://100.64.0.1/hook",
            "http://169.254.169.254/latest/meta-data/", "http://168.63.129.16/machine", "http://[::ffff:10.0.0.1]/hook", "http://[::10.0.0.1]/hook", "http://[64:ff9b::a00:1]/hook",
            "http://[2002:a00:1::]/hook", "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook", "http://[fe80::1]/hook", "http://[fc00::1]/hook", "http://0.0.0.0/hook",
            "http://2130706433/hook", "http://0x7f000001/hook", "http://017700000001/hook", "http://127.1/hook", "http://192.0.2.1/hook",
            "file:///etc/passwd", "gopher://example.org/", "ftp://example.org/hook", "javascript:alert(1)", "not a url", "http://user:secret@example.org/hook",
            "https://example.org:99999/hook", "//example.org/hook", "http://exa mple.org/", "http://example.org/\r\nHost: evil",
        };
        foreach (var address in addresses)
        {
            yield return new($"subscribe a webhook at {address}", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
                Encoding.UTF8.GetBytes(new JsonObject { ["webhookUrl"] = address, ["scope"] = f.CrisisId, ["language"] = "en" }.ToJsonString()));
            var stakeholder = ValidStakeholder();
            stakeholder.Remove("email");
            stakeholder["webhookUrl"] = address;
            yield return new($"a stakeholder webhook at {address}", HttpMethod.Post, "/api/admin/stakeholders", Caller.Admin, Encoding.UTF8.GetBytes(stakeholder.ToJsonString()));
            yield return new($"a staff subscriber webhook at {address}", HttpMethod.Post, $"/api/admin/crises/{f.CrisisId}/source-of-truth/subscribers", Caller.Admin,
                Encoding.UTF8.GetBytes(new JsonObject { ["name"] = "Staff", ["webhookUrl"] = address }.ToJsonString()));
        }

        foreach (var email in new[] { "reader@example.org\r\nBcc: all@example.org", "@example.org", "reader@", "a@@example.org", "reader example.org", new string('a', 300) + "@example.org" })
        {
            yield return new($"subscribe the email {(email.Length > 40 ? "300 letters@example.org" : email.ReplaceLineEndings("⏎"))}", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
                Encoding.UTF8.GetBytes(new JsonObject { ["email"] = email, ["scope"] = f.CrisisId }.ToJsonString()));
        }

        foreach (var phone in new[] { "+1", "07700900000", "+44 7700 900000", "+4477009000001234567", "tel:+447700900000", "+44770090000\u0661" })
        {
            yield return new($"subscribe the phone {phone}", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
                Encoding.UTF8.GetBytes(new JsonObject { ["phone"] = phone, ["scope"] = f.CrisisId }.ToJsonString()));
        }

        yield return new("subscribe two contacts at once", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
            Encoding.UTF8.GetBytes(new JsonObject { ["email"] = "a@example.org", ["phone"] = "+447700900000" }.ToJsonString()));
        yield return new("subscribe to a crisis that does not exist", HttpMethod.Post, "/api/subscriptions", Caller.Anonymous,
            Encoding.UTF8.GetBytes(new JsonObject { ["email"] = "a@example.org", ["scope"] = "c-no-such-crisis" }.ToJsonString()));
    }

    private static byte[] Replace(JsonObject valid, string property, JsonNode? value)
    {
        var copy = valid.DeepClone().AsObject();
        copy[property] = value;
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    /// <summary>
    /// <paramref name="valid"/> with the string at <paramref name="path"/> (e.g. <c>rules[0].keywords.en[0]</c>) replaced
    /// by <paramref name="text"/>, written with JSON escapes for everything outside printable ASCII, so lone
    /// surrogates travel as <c>\uD83D</c> exactly as a hostile client would send them.
    /// </summary>
    private static byte[] WithRawText(JsonObject valid, string path, string text)
    {
        var copy = valid.DeepClone().AsObject();
        JsonNode node = copy;
        var steps = path.Replace("[", ".[", StringComparison.Ordinal).Split('.');
        for (var i = 0; i < steps.Length; i++)
        {
            var last = i == steps.Length - 1;
            var step = steps[i];
            if (step.StartsWith('['))
            {
                var index = int.Parse(step[1..^1], CultureInfo.InvariantCulture);
                var array = node.AsArray();
                if (last)
                {
                    array[index] = Marker;
                }
                else
                {
                    node = array[index]!;
                }
            }
            else if (last)
            {
                node.AsObject()[step] = step == "topics" ? new JsonArray(Marker) : Marker;
            }
            else
            {
                node = node.AsObject()[step]!;
            }
        }

        return Encoding.UTF8.GetBytes(copy.ToJsonString().Replace($"\"{Marker}\"", JsonLiteral(text), StringComparison.Ordinal));
    }

    private static string JsonLiteral(string text)
    {
        var builder = new StringBuilder("\"", text.Length + 2);
        foreach (var ch in text)
        {
            if (ch is >= ' ' and <= '~' and not '"' and not '\\')
            {
                builder.Append(ch);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
            }
        }

        return builder.Append('"').ToString();
    }

    public static bool IsClientError(HttpStatusCode status) => (int)status is >= 400 and < 500;
}
