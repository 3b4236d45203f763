namespace Crisis.Functions.Feedback;

public static class FeedbackServices
{
    /// <summary>Votes, questions (with the message telling an asker of the answer) and FAQ views (counted in memory, flushed in the background).</summary>
    public static IServiceCollection AddFeedback(this IServiceCollection services)
    {
        services.AddSingleton<FeedbackStore>();
        services.AddSingleton<Notifications.IDeferredMessages, AnswerNotifications>();
        services.AddSingleton<FaqViews>();
        services.AddHostedService(sp => sp.GetRequiredService<FaqViews>());
        return services;
    }
}
