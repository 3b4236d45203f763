using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;

namespace Crisis.Functions.Subscriptions;

public static class SubscriptionServices
{
    /// <summary>Subscribers, their messages (made at send time), the fan-out and its timer, with settings validated at start.</summary>
    public static IServiceCollection AddCrisisSubscriptions(this IServiceCollection services)
    {
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section).ValidateDataAnnotations()
            .Validate(o => ContactHasher.IsStrongKey(o.ContactHashKey), "Subscriptions:ContactHashKey needs at least 32 random bytes in base64.")
            .ValidateOnStart();
        services.AddSingleton<ContactHasher>();
        services.AddSingleton<SubscriberStore>();
        services.AddSingleton<SubscriptionLinks>();
        services.AddSingleton<IDeferredMessages, ConfirmationMessages>();
        services.AddSingleton<IDeferredMessages, UpdateNotifications>();
        services.AddSingleton<IDeferredMessages, CrisisEndedMessages>();
        services.AddSingleton<FanoutService>();
        services.AddSingleton<IOutboxFeeder>(sp => sp.GetRequiredService<FanoutService>());
        services.AddTimerFunction<NotificationsTimer>();
        return services;
    }
}
