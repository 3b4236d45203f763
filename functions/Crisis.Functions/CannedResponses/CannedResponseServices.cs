namespace Crisis.Functions.CannedResponses;

public static class CannedResponseServices
{
    /// <summary>Canned responses and their reviews.</summary>
    public static IServiceCollection AddCannedResponses(this IServiceCollection services) => services.AddSingleton<CannedResponseStore>();
}
