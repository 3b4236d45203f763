namespace Crisis.Functions.SourceOfTruth;

public static class SourceOfTruthServices
{
    /// <summary>The internal source of truth, versioned, and its staff subscribers.</summary>
    public static IServiceCollection AddSourceOfTruth(this IServiceCollection services) => services.AddSingleton<SourceOfTruthStore>();
}
