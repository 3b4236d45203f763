using Crisis.Functions.Access;
using Crisis.Functions.CannedResponses;
using Crisis.Functions.Common;
using Crisis.Functions.Crises;
using Crisis.Functions.Demo;
using Crisis.Functions.Feedback;
using Crisis.Functions.Health;
using Crisis.Functions.Notifications;
using Crisis.Functions.Pages;
using Crisis.Functions.PublicPages;
using Crisis.Functions.Review;
using Crisis.Functions.SourceOfTruth;
using Crisis.Functions.Stakeholders;
using Crisis.Functions.Storage;
using Crisis.Functions.Subscriptions;
using Crisis.Functions.Touchpoints;
using Crisis.Functions.Triage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;

namespace Crisis.Functions.Hosting;

/// <summary>The app as a table of contents: the worker's HTTP integration, the shared HTTP plumbing, then each feature.</summary>
public static class CrisisApp
{
    public static FunctionsApplicationBuilder AddCrisisFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseMiddleware<ExecutedResultMiddleware>();
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<HttpFunctionMiddleware>();

        var services = builder.Services;

        // In Azure the worker sends its own telemetry (logs, dependencies) to Application Insights, through Entra ID.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            services.AddApplicationInsightsTelemetryWorkerService();
            services.ConfigureFunctionsApplicationInsights();
        }

        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => JsonBody.Configure(o.SerializerOptions));
        services.AddFunctionsOpenApi();
        services.AddCrisisStorage();
        services.AddCrisisAccess();
        services.AddCrisisRateLimits();

        services.AddHealth();
        services.AddCrises();
        services.AddPublicPages();
        services.AddPages();
        services.AddFeedback();
        services.AddCrisisNotifications();
        services.AddStakeholders();
        services.AddSourceOfTruth();
        services.AddTouchpoints();
        services.AddCrisisSubscriptions();
        services.AddCannedResponses();
        services.AddTriage();
        services.AddReview();
        services.AddDemo();
        return builder;
    }
}
