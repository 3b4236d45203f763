using Crisis.Functions.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Tests.Notifications;

public class WebhookSettingsTests
{
    private const string Secret = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmctc2VjcmV0LTMyYnl0ZXM=";

    private static WebhookOptions Resolve(IReadOnlyDictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddCrisisNotifications();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
    }

    [Fact]
    public void Allowed_private_hosts_in_the_plain_environment_form_are_read_as_a_comma_separated_list()
    {
        var options = Resolve(new Dictionary<string, string?> { ["Webhooks:SigningSecret"] = Secret, ["Webhooks:AllowedPrivateHosts"] = "127.0.0.1, localhost ,::1" });

        Assert.Equal(["127.0.0.1", "localhost", "::1"], options.AllowedPrivateHosts);
    }

    [Fact]
    public void Allowed_private_hosts_in_the_indexed_form_still_work()
    {
        var options = Resolve(new Dictionary<string, string?>
        {
            ["Webhooks:SigningSecret"] = Secret,
            ["Webhooks:AllowedPrivateHosts:0"] = "127.0.0.1",
            ["Webhooks:AllowedPrivateHosts:1"] = "receiver.internal",
        });

        Assert.Equal(["127.0.0.1", "receiver.internal"], options.AllowedPrivateHosts);
    }

    [Theory]
    [InlineData("127.0.0.1;localhost")]
    [InlineData("http://127.0.0.1")]
    [InlineData("local host")]
    public void A_malformed_list_stops_start_up_with_a_message_naming_the_setting(string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            Resolve(new Dictionary<string, string?> { ["Webhooks:SigningSecret"] = Secret, ["Webhooks:AllowedPrivateHosts"] = value }));

        Assert.Contains("Webhooks:AllowedPrivateHosts", error.Message, StringComparison.Ordinal);
    }
}
