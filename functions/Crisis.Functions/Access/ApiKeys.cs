using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Crisis.Functions.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crisis.Functions.Access;

/// <summary>The roles a credential can carry. Admins can do everything agents can.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Agent = "agent";
}

/// <summary>One configured credential: who it is (for the audit log), its role, and the SHA-256 of the key (hex).</summary>
public sealed class ApiKeyEntry
{
    [Required]
    [RegularExpression("^[A-Za-z0-9._@-]{1,64}$")]
    public string Name { get; set; } = "";

    [Required]
    [RegularExpression("^(admin|agent)$")]
    public string Role { get; set; } = "";

    [Required]
    [RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "Sha256 must be the 64 hex digits of the key's SHA-256.")]
    public string Sha256 { get; set; } = "";
}

/// <summary>API keys per environment, stored hashed (in Azure: app settings from Key Vault references).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Access";

    public List<ApiKeyEntry> ApiKeys { get; set; } = [];
}

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>: hashes the presented key and compares it in constant
/// time with every configured hash, so neither timing nor early exit tells how close a guess was.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<ApiKeyOptions> keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>Keys are random and long: a fast hash suffices, and the key itself is never stored.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 512)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'."));
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        ApiKeyEntry? match = null;
        foreach (var entry in keys.CurrentValue.ApiKeys)
        {
            var expected = Convert.FromHexString(entry.Sha256);
            if (CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                match = entry;
            }
        }

        if (match is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, match.Name), new Claim(ClaimTypes.Role, match.Role)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblemAsync(401, Problems.Unauthenticated, "Authentication required", "Send an API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(403, Problems.Forbidden, "Forbidden", "This credential's role may not use this route.");

    private Task WriteProblemAsync(int status, string type, string title, string detail)
    {
        Response.StatusCode = status;
        Response.ContentType = "application/problem+json";
        return Response.WriteAsync(JsonSerializer.Serialize(new { type, title, status, detail }));
    }
}

/// <summary>The authorization policies a function can require (<c>[RequiresPolicy(Policies.Admin)]</c>).</summary>
public static class Policies
{
    /// <summary>The admin role.</summary>
    public const string Admin = "admin";

    /// <summary>The agent role, or admin (admins can do everything agents can).</summary>
    public const string Agent = "agent";
}

public static class AccessServiceCollectionExtensions
{
    public const string AdminPolicy = Policies.Admin;
    public const string AgentPolicy = Policies.Agent;

    public static IServiceCollection AddCrisisAccess(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.Section)
            .Validate(o => o.ApiKeys.All(k => k.Sha256.Length == 64 && k.Role is Roles.Admin or Roles.Agent && k.Name.Length > 0),
                "Every Access:ApiKeys entry needs a Name, a Role (admin or agent) and the Sha256 of its key.")
            .Validate(o => o.ApiKeys.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count() == o.ApiKeys.Count,
                "Access:ApiKeys names must be unique: they identify who did what in the audit log.")
            .ValidateOnStart();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin))
            .AddPolicy(AgentPolicy, p => p.RequireAuthenticatedUser().RequireRole(Roles.Agent, Roles.Admin));
        return services;
    }

    /// <summary>Who is acting, for the audit log.</summary>
    public static string Actor(this ClaimsPrincipal user) => user?.Identity?.Name ?? "anonymous";
}
