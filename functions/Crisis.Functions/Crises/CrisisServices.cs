namespace Crisis.Functions.Crises;

public static class CrisisServices
{
    /// <summary>Crises, their content, updates and audit log.</summary>
    public static IServiceCollection AddCrises(this IServiceCollection services)
    {
        services.AddSingleton<CrisisStore>();
        services.AddSingleton<ContentStore>();
        services.AddSingleton<CrisisService>();
        return services;
    }
}
