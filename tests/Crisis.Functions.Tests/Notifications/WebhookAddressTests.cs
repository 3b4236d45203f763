using System.Net;
using System.Net.Http.Json;
using Crisis.Functions.Hosting;
using Crisis.Functions.Notifications;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Notifications;

/// <summary>Webhooks reach only public receivers: every way of writing a private address is seen through.</summary>
public class WebhookAddressTests
{
    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("169.254.169.254")]
    [InlineData("168.63.129.16")]
    [InlineData("100.64.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("::ffff:0:10.0.0.1")]
    [InlineData("64:ff9b::10.0.0.1")]
    [InlineData("64:ff9b::169.254.169.254")]
    [InlineData("64:ff9b:1::a00:1")]
    [InlineData("2002:0a00:0001::1")]
    [InlineData("2002:a9fe:a9fe::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("2001:db8::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("100::1")]
    public void Private_and_special_addresses_in_any_form_are_not_public(string address) =>
        Assert.False(WebhookSender.IsPublic(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("64:ff9b::5db8:d822")]
    [InlineData("2002:5db8:d822::1")]
    [InlineData("::ffff:93.184.216.34")]
    public void Public_addresses_and_ipv6_forms_of_a_public_ipv4_address_are_public(string address) =>
        Assert.True(WebhookSender.IsPublic(IPAddress.Parse(address)), address);

    [Fact]
    public void An_allow_list_entry_with_a_port_allows_that_receiver_only()
    {
        string[] allowed = ["127.0.0.1:8123", "[::1]:9000"];

        Assert.Null(WebhookSender.Validate("http://127.0.0.1:8123/hook", allowed));
        Assert.Null(WebhookSender.Validate("http://[::1]:9000/hook", allowed));
        Assert.NotNull(WebhookSender.Validate("http://127.0.0.1:8124/hook", allowed));
        Assert.NotNull(WebhookSender.Validate("http://[::1]:9001/hook", allowed));
        Assert.True(PrivateHosts.IsWellFormed("127.0.0.1:8123"));
        Assert.True(PrivateHosts.IsWellFormed("[::1]:9000"));
        Assert.True(PrivateHosts.IsWellFormed("receiver.internal"));
        Assert.False(PrivateHosts.IsWellFormed("host:notaport"));
        Assert.False(PrivateHosts.IsWellFormed("http://x"));
    }

    [Fact]
    public async Task Anonymous_subscribers_cannot_name_an_allow_listed_private_receiver_unless_enabled_while_admins_can()
    {
        await using var app = await CrisisAppFactory.CreateAsync(new Dictionary<string, string?> { ["Webhooks:AllowPrivateHostsForSubscribers"] = "false" });
        using var client = app.CreateClient();
        using var admin = app.CreateAdminClient();

        var refused = await client.PostAsJsonAsync("/api/subscriptions", new { webhookUrl = "http://127.0.0.1:9/hook" });

        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest, Problems.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("webhookUrl", out _), problem.ToString());
        var stakeholder = await admin.PostAsJsonAsync("/api/admin/stakeholders", new
        {
            name = "Internal receiver",
            role = "expert",
            language = "en",
            timeZone = "UTC",
            webhookUrl = "http://127.0.0.1:9/hook",
        });
        Assert.Equal(HttpStatusCode.Created, stakeholder.StatusCode);
    }
}
