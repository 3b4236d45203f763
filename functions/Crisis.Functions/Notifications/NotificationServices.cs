using Microsoft.Extensions.Options;

namespace Crisis.Functions.Notifications;

public static class NotificationServices
{
    /// <summary>Email and webhook senders, signed link tokens and the outbox, with their settings validated at start.</summary>
    public static IServiceCollection AddCrisisNotifications(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.Section)
            .Validate(o => o.SigningKeys.Count > 0 && o.SigningKeys.All(IsStrongKey),
                "Tokens:SigningKeys needs at least one key, each with an Id and a Secret of at least 32 random bytes in base64.")
            .ValidateOnStart();
        services.AddSingleton<IEmailSender, SmtpEmailSender>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<SignedTokens>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<OutboxKick>();
        return services;
    }

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
