using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Browser;

/// <summary>
/// One real Chromium (Debian's, at <see cref="ExecutablePath"/>, never a downloaded build) for every test of a class
/// or collection, driven by Playwright. Each page gets a context of its own (fresh cookies and storage), so tests
/// sharing the browser stay independent. Helpers open pages of the app, check them with axe and take screenshots.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The languages every page is checked in: English, Welsh, Gujarati and Persian (right to left), one of each script the product writes.</summary>
    public static TheoryData<string> Languages { get; } = ["en", "cy", "gu", "fa"];

    /// <summary>The small phone and the laptop every page is looked at on.</summary>
    public static readonly ViewportSize Phone = new() { Width = 360, Height = 740 };
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    /// <summary>Where screenshots go: the repository's TestResults/screenshots/ (tests/run creates TestResults/).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");

    /// <summary>
    /// Headless, and quiet: a test machine has no network beyond loopback, so nothing may try to reach one. Playwright
    /// starts the browser on a new, empty profile (user-data-dir) of its own and removes it on close.
    /// </summary>
    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ExecutablePath}: tests/run installs Debian's chromium package.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>
    /// Opens <paramref name="path"/> of the app that <paramref name="client"/> talks to, in a new context (closed with
    /// the page), at the desktop size unless told; fails unless the page answered <paramref name="status"/>.
    /// </summary>
    public async Task<IPage> OpenAsync(HttpClient client, string path, ViewportSize? viewport = null, bool javaScript = true, string? acceptLanguage = null, int status = 200)
    {
        ArgumentNullException.ThrowIfNull(client);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = client.BaseAddress!.AbsoluteUri,
            ViewportSize = viewport ?? Desktop,
            JavaScriptEnabled = javaScript,
            ExtraHTTPHeaders = acceptLanguage is null ? null : new Dictionary<string, string> { ["Accept-Language"] = acceptLanguage },
        });
        // A page that never answers fails the test in seconds instead of hanging the run.
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Close += (_, _) => _ = context.CloseAsync();
        var response = await page.GotoAsync(path);
        Assert.NotNull(response);
        Assert.True(response.Status == status, $"{path} answered {response.Status}, not {status}.");
        return page;
    }

    /// <summary>
    /// Opens <paramref name="path"/>, checks that it is written in <paramref name="language"/> (<c>lang</c> and <c>dir</c>),
    /// has no serious or critical accessibility violation and, in English, Persian and Gujarati, photographs it as
    /// <c>{name}-{language}</c>; then runs <paramref name="then"/> on it (more steps on the same page) and closes it.
    /// </summary>
    public async Task CheckPageAsync(HttpClient client, string path, string language, string name, Func<IPage, Task>? then = null)
    {
        var page = await OpenAsync(client, path);
        try
        {
            Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
            Assert.Equal(Functions.Common.Languages.Direction(language), await page.GetAttributeAsync("html", "dir"));
            await AssertAccessibleAsync(page);
            await PhotographAsync(page, name, language);
            if (then is not null)
            {
                await then(page);
            }
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>
    /// Screenshots (<see cref="ScreenshotAsync"/>) in English and Persian, the left-to-right and right-to-left layouts,
    /// and in Gujarati, the script that needs the Noto fonts the test command installs.
    /// </summary>
    public static async Task PhotographAsync(IPage page, string name, string language)
    {
        if (language is "en" or "fa" or "gu")
        {
            await ScreenshotAsync(page, $"{name}-{language}");
        }
    }

    /// <summary>Runs axe on the page as it is now (its context needs JavaScript on) and fails, listing them, on any serious or critical violation.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var results = await page.RunAxe();
        var blocking = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(blocking.Count == 0, $"axe found serious or critical violations on {page.Url}:\n{Describe(blocking)}");
    }

    /// <summary>
    /// Full-page screenshots of the page at the phone and the desktop size, named <c>{name}-360x740.png</c> and
    /// <c>{name}-1280x800.png</c>; the page is left at the desktop size.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(ScreenshotFolder);
        foreach (var size in new[] { Phone, Desktop })
        {
            await page.SetViewportSizeAsync(size.Width, size.Height);
            var file = Path.Combine(ScreenshotFolder, $"{name}-{size.Width}x{size.Height}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
            Assert.True(new FileInfo(file).Length > 0, $"The screenshot {file} is empty.");
        }
    }

    private static string Describe(IEnumerable<AxeResultItem> violations)
    {
        var text = new StringBuilder();
        foreach (var violation in violations)
        {
            text.Append("- ").Append(violation.Impact).Append(' ').Append(violation.Id).Append(": ").Append(violation.Help).Append(" (").Append(violation.HelpUrl).AppendLine(")");
            foreach (var node in violation.Nodes)
            {
                text.Append("    ").Append(node.Target?.ToString()).Append(": ").AppendLine(node.Html);
            }
        }

        return text.ToString();
    }
}
