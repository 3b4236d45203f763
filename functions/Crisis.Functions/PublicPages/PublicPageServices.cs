namespace Crisis.Functions.PublicPages;

public static class PublicPageServices
{
    /// <summary>Publishing the public pages, and serving them from memory.</summary>
    public static IServiceCollection AddPublicPages(this IServiceCollection services)
    {
        services.AddOptions<PublicPagesOptions>().BindConfiguration(PublicPagesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PagePublisher>();
        services.AddSingleton<PublishedPageCache>();
        return services;
    }
}
