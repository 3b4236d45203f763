using Crisis.Functions.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Tests.Notifications;

public class OutboxSettingsTests
{
    private static OutboxOptions Resolve(IReadOnlyDictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddCrisisNotifications();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<OutboxOptions>>().Value;
    }

    [Fact]
    public void Each_channel_has_a_default_limit_on_sends_at_once()
    {
        var options = Resolve(new Dictionary<string, string?>());

        Assert.Equal((64, 8, 8), (options.WebhookConcurrency, options.EmailConcurrency, options.SmsConcurrency));
    }

    [Theory]
    [InlineData("WebhookConcurrency", "0")]
    [InlineData("WebhookConcurrency", "513")]
    [InlineData("EmailConcurrency", "0")]
    [InlineData("EmailConcurrency", "65")]
    [InlineData("SmsConcurrency", "-1")]
    public void A_channel_limit_out_of_range_stops_start_up_with_a_message_naming_the_setting(string setting, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { [$"Outbox:{setting}"] = value }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }
}
