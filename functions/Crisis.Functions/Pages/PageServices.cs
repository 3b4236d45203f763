namespace Crisis.Functions.Pages;

public static class PageServices
{
    /// <summary>What the HTML pages share: the form guard (the layout and assets are static).</summary>
    public static IServiceCollection AddPages(this IServiceCollection services)
    {
        services.AddSingleton<FormGuard>();
        return services;
    }
}
