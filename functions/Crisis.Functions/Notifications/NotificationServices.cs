namespace Crisis.Functions.Notifications;

public static class NotificationServices
{
    /// <summary>Email, webhook and SMS channels, signed link tokens and the outbox, with their settings validated at start.</summary>
    public static IServiceCollection AddCrisisNotifications(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)

            // An environment variable holds one value (Webhooks__AllowedPrivateHosts=127.0.0.1,localhost), which the
            // binder leaves out of a list: take it as a comma-separated list as well as the __0, __1 form.
            .Configure<IConfiguration>((o, configuration) => o.AllowedPrivateHosts.AddRange(
                (configuration[$"{WebhookOptions.Section}:{nameof(WebhookOptions.AllowedPrivateHosts)}"] ?? "")
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            .Validate(o => o.AllowedPrivateHosts.All(PrivateHosts.IsWellFormed),
                "Webhooks:AllowedPrivateHosts must hold host names or IP addresses, each optionally with :port, comma-separated (e.g. 127.0.0.1:8080,localhost) or as Webhooks:AllowedPrivateHosts:0, :1, ...")
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.Section)
            .Validate(o => o.SigningKeys.Count > 0 && o.SigningKeys.All(IsStrongKey),
                "Tokens:SigningKeys needs at least one key, each with an Id and a Secret of at least 32 random bytes in base64.")
            .ValidateOnStart();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section)
            .Validate(o => o.Endpoint is null || (o.Endpoint.Scheme == Uri.UriSchemeHttps || o.Endpoint.IsLoopback) && IsBase64(o.AccessKey) && !string.IsNullOrWhiteSpace(o.From),
                "Sms:Endpoint needs https (loopback aside), a base64 Sms:AccessKey and an Sms:From.")
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IEmailSender, SmtpEmailSender>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<ISmsSender, AcsSmsSender>();
        services.AddSingleton<INotificationChannel, EmailChannel>();
        services.AddSingleton<INotificationChannel, WebhookChannel>();
        services.AddSingleton<INotificationChannel, SmsChannel>();
        services.AddSingleton<SignedTokens>();
        services.AddSingleton<LegacyOutbox>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<OutboxKick>();
        return services;
    }

    private static bool IsBase64(string? value) =>
        !string.IsNullOrEmpty(value) && Convert.TryFromBase64String(value, new byte[value.Length], out var length) && length > 0;

    private static bool IsStrongKey(TokenKey key)
    {
        if (string.IsNullOrWhiteSpace(key.Id) || key.Id.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        var bytes = new byte[key.Secret.Length];
        return Convert.TryFromBase64String(key.Secret, bytes, out var length) && length >= 32;
    }
}
