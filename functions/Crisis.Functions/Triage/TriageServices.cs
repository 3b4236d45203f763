namespace Crisis.Functions.Triage;

public static class TriageServices
{
    /// <summary>Triage rules and tag counts.</summary>
    public static IServiceCollection AddTriage(this IServiceCollection services) => services.AddSingleton<TriageStore>();
}
