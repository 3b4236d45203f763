namespace Crisis.Functions.Pages;

public static class PageServices
{
    /// <summary>What the HTML pages share: the form guard and the rendered public pages (the layout and assets are static).</summary>
    public static IServiceCollection AddPages(this IServiceCollection services)
    {
        services.AddSingleton<FormGuard>();
        services.AddSingleton<PublicHtmlCache>();

        // The public page's forms go through the same functions as the JSON routes (made per request, as the worker makes them).
        services.AddTransient<Subscriptions.SubscriptionsFunctions>();
        services.AddTransient<Feedback.FeedbackPublicFunctions>();
        return services;
    }
}
