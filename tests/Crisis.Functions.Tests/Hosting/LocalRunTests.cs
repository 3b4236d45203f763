using System.Net;
using Crisis.Functions.Host;
using Crisis.Functions.Host.Local;
using Crisis.Functions.Notifications;
using Crisis.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Tests.Hosting;

/// <summary>What <c>npm start</c> keeps between runs: links already sent must keep working after a restart.</summary>
public sealed class LocalRunTests : IDisposable
{
    private static readonly Dictionary<string, string?> NoSettings = [];
    private readonly string _data = Path.Combine(Path.GetTempPath(), "crisis-local-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>A link-signing key no run keeps: links it signs must not open.</summary>
    private static readonly TokenKey StrangerKey = new() { Id = "local", Secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) };

    private static SignedTokens TokensOf(LocalRun run) =>
        TokensOf(new TokenKey { Id = run.Settings["Tokens:SigningKeys:0:Id"]!, Secret = run.Settings["Tokens:SigningKeys:0:Secret"]! });

    private static SignedTokens TokensOf(TokenKey key) => new(Options.Create(new TokenOptions { SigningKeys = [key] }), TimeProvider.System);

    [Fact]
    public async Task A_link_signed_in_one_run_is_still_valid_in_the_next_and_only_the_admin_key_changes()
    {
        string link;
        IReadOnlyDictionary<string, string?> first;
        string firstAdminKey;
        await using (var run = await LocalRun.StartAsync(NoSettings, _data))
        {
            link = TokensOf(run).Create("subscription-confirm", "sub-1|nonce", TimeSpan.FromDays(1));
            first = run.Settings;
            firstAdminKey = run.AdminKey;
        }

        await using var next = await LocalRun.StartAsync(NoSettings, _data);

        Assert.Equal(TokenCheck.Valid, TokensOf(next).Verify(link, "subscription-confirm", out var claims));
        Assert.Equal("sub-1|nonce", claims!.Subject);
        Assert.Equal(first["Subscriptions:ContactHashKey"], next.Settings["Subscriptions:ContactHashKey"]);
        Assert.NotEqual(firstAdminKey, next.AdminKey);
        if (Environment.GetEnvironmentVariable("Webhooks__SigningSecret") is null)
        {
            Assert.Equal(first["Webhooks:SigningSecret"], next.Settings["Webhooks:SigningSecret"]);
            Assert.StartsWith("whsec_", next.Settings["Webhooks:SigningSecret"], StringComparison.Ordinal);
            Assert.Equal(Path.Combine(Path.GetFullPath(_data), LocalRun.WebhookSecretFile), next.WebhookSecretSource);
            Assert.Contains(next.WebhookSecretSource, next.Describe(new Uri("http://localhost:7071")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_confirm_link_sent_before_a_restart_opens_its_page_in_the_restarted_app()
    {
        string token;
        await using (var run = await LocalRun.StartAsync(NoSettings, _data))
        {
            token = TokensOf(run).Create("subscription-confirm", "sub-1|nonce", TimeSpan.FromDays(1));
        }

        await using var next = await LocalRun.StartAsync(NoSettings, _data);
        await using var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = RepositoryPaths.AppOutput,
            HttpPort = 0,
            HttpHost = "127.0.0.1",
            RunTimers = false,
            AppSettings = next.Settings,
        });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        var kept = await client.GetAsync("/api/subscriptions/confirm?token=" + Uri.EscapeDataString(token) + "&lang=en");
        var forged = await client.GetAsync("/api/subscriptions/confirm?token=" + Uri.EscapeDataString(TokensOf(StrangerKey).Create("subscription-confirm", "sub-1|nonce", TimeSpan.FromDays(1))) + "&lang=en");

        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Contains("<form method=\"post\"", await kept.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
    }

    [Fact]
    public async Task A_webhook_signing_secret_given_as_a_setting_wins_over_the_kept_one_and_the_banner_says_so()
    {
        var given = new Dictionary<string, string?> { ["Webhooks:SigningSecret"] = "whsec_Z2l2ZW4tc2VjcmV0LWZvci10aGlzLXJ1bi0zMmJ5dGVzIQ==" };

        await using var run = await LocalRun.StartAsync(given, _data);

        Assert.Equal(given["Webhooks:SigningSecret"], run.Settings["Webhooks:SigningSecret"]);
        Assert.False(File.Exists(Path.Combine(_data, LocalRun.WebhookSecretFile)));
        Assert.Contains("--Webhooks:SigningSecret", run.Describe(new Uri("http://localhost:7071")), StringComparison.Ordinal);
    }
}
