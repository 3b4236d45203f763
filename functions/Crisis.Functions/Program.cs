using Crisis.Functions.Access;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Demo;
using Crisis.Functions.Feedback;
using Crisis.Functions.Health;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Review;
using Crisis.Functions.SourceOfTruth;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Touchpoints;
using Crisis.Functions.Triage;

// `hash-key`: prints the SHA-256 to configure for an API key read from standard input.
if (args is ["hash-key"])
{
    Console.WriteLine(ApiKeyAuthenticationHandler.Hash((Console.In.ReadLine() ?? "").Trim()));
    return;
}

// `--local` (the README's run command): an embedded Azurite persisted in .azurite/, a one-run admin key, demo content.
await using var local = LocalRun.IsRequested(args) ? await LocalRun.StartAsync() : null;
if (local is not null)
{
    args = [.. args.Where(a => a != LocalRun.Flag), .. local.Settings];
}

// The content root is the app's own folder (appsettings.json is there), whatever the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var hosting = builder.Configuration.GetSection(HostingOptions.Section).Get<HostingOptions>() ?? new HostingOptions();
var customHandlerPort = builder.Configuration[HostingOptions.CustomHandlerPortSetting];
builder.WebHost.UseUrls(string.IsNullOrEmpty(customHandlerPort) ? hosting.Urls : $"http://127.0.0.1:{customHandlerPort}");

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<StorageOutageHandler>();
builder.Services.ConfigureHttpJsonOptions(o => JsonBody.Configure(o.SerializerOptions));
builder.Services.AddOpenApi();
builder.Services.AddCrisisStorage();
builder.Services.AddCrisisAccess();
builder.Services.AddCrisisRateLimits();
builder.Services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section);
builder.Services.AddOptions<PublicPagesOptions>().BindConfiguration(PublicPagesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<TimerDispatcher>();
builder.Services.AddHostedService<LocalTimerScheduler>();
builder.Services.AddTimerFunction<HeartbeatTimer>();
builder.Services.AddSingleton<CrisisStore>();
builder.Services.AddSingleton<ContentStore>();
builder.Services.AddSingleton<CrisisService>();
builder.Services.AddSingleton<PagePublisher>();
builder.Services.AddSingleton<PublishedPageCache>();
builder.Services.AddSingleton<FeedbackStore>();
builder.Services.AddSingleton<FaqViews>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<FaqViews>());
builder.Services.AddCrisisNotifications();
builder.Services.AddSingleton<StakeholderStore>();
builder.Services.AddSingleton<ExpectedUpdateService>();
builder.Services.AddTimerFunction<ReminderTimer>();
builder.Services.AddSingleton<SourceOfTruthStore>();
builder.Services.AddOptions<ExpiryOptions>().BindConfiguration(ExpiryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<TouchpointStore>();
builder.Services.AddSingleton<TouchpointRestorer>();
builder.Services.AddTimerFunction<ExpiryTimer>();
builder.Services.AddCrisisSubscriptions();
builder.Services.AddSingleton<CannedResponseStore>();
builder.Services.AddSingleton<TriageStore>();
builder.Services.AddSingleton<ReviewService>();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

// The Functions host pings the handler's root until it answers, before it forwards any invocation.
app.MapGet("/", () => TypedResults.Text("Crisis.Functions is ready")).ExcludeFromDescription();
app.MapOpenApi("/api/openapi/{documentName}.json").AsFunction("OpenApi", FunctionAuthLevel.Anonymous);
app.MapHealth();
app.MapPublicPages();
app.MapFeedback();
app.MapCrisisAdmin();
app.MapStakeholderAdmin();
app.MapStakeholderActions();
app.MapSourceOfTruth();
app.MapTouchpoints();
app.MapSubscriptions();
app.MapSubscriberAdmin();
app.MapCannedResponses();
app.MapTriage();
app.MapReview();
app.MapTimerFunctions();

if (local is not null)
{
    await DemoContent.SeedAsync(app.Services, CancellationToken.None);
    local.PrintUrlsOnStart(app);
}

await app.RunAsync();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
