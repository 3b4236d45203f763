using Crisis.Functions.Hosting;

namespace Crisis.Functions.Stakeholders;

public static class StakeholderServices
{
    /// <summary>Stakeholders, the updates they owe, and the reminder timer.</summary>
    public static IServiceCollection AddStakeholders(this IServiceCollection services)
    {
        services.AddSingleton<StakeholderStore>();
        services.AddSingleton<ExpectedUpdateService>();
        services.AddTimerFunction<ReminderTimer>();
        services.AddSingleton<Notifications.IDeferredMessages, ReminderNotifications>();
        return services;
    }
}
