using Crisis.Functions.Health;
using Crisis.Functions.Hosting;
using Crisis.Functions.Storage;

// `--local` (the README's run command): start an embedded Azurite, persisted in .azurite/, and point the app at it.
await using var azurite = LocalRun.IsRequested(args) ? await LocalRun.StartStorageAsync() : null;
if (azurite is not null)
{
    args = [.. args.Where(a => a != LocalRun.Flag), $"--{StorageOptions.Section}:ConnectionString={azurite.ConnectionString}"];
}

var builder = WebApplication.CreateBuilder(args);
var hosting = builder.Configuration.GetSection(HostingOptions.Section).Get<HostingOptions>() ?? new HostingOptions();
var customHandlerPort = builder.Configuration[HostingOptions.CustomHandlerPortSetting];
builder.WebHost.UseUrls(string.IsNullOrEmpty(customHandlerPort) ? hosting.Urls : $"http://127.0.0.1:{customHandlerPort}");

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddCrisisStorage();
builder.Services.AddSingleton<TimerDispatcher>();
builder.Services.AddTimerFunction<HeartbeatTimer>();
builder.Services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section);
builder.Services.AddHostedService<LocalTimerScheduler>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

// The Functions host pings the handler's root until it answers, before it forwards any invocation.
app.MapGet("/", () => TypedResults.Text("Crisis.Functions is ready")).ExcludeFromDescription();
app.MapOpenApi("/api/openapi/{documentName}.json").AsFunction("OpenApi", FunctionAuthLevel.Anonymous);
app.MapHealth();
app.MapTimerFunctions();

if (azurite is not null)
{
    LocalRun.PrintUrlsOnStart(app, azurite);
}

await app.RunAsync();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
