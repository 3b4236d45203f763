using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Crisis.Functions.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Crisis.Functions.Tests.Infrastructure;

public sealed record ReceivedSms(string From, string To, string Message, bool SignatureValid);

/// <summary>
/// FAKE: a local stand-in for the Azure Communication Services SMS API (we cannot send real texts here). It
/// accepts <c>POST /sms?api-version=2021-03-07</c>, checks the HMAC-SHA256 request signature with
/// <see cref="AccessKey"/> and the body hash, records each message and answers as the service does (202,
/// one result per recipient).
/// </summary>
public sealed class FakeSmsProvider : IAsyncDisposable
{
    public const string AccessKey = "ZmFrZS1zbXMtcHJvdmlkZXItYWNjZXNzLWtleS0zMi1ieXRlcw==";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSms> _received = new();

    private FakeSmsProvider(WebApplication app, int port)
    {
        _app = app;
        Endpoint = $"http://127.0.0.1:{port}";
    }

    public string Endpoint { get; }

    public IReadOnlyList<ReceivedSms> Received => [.. _received];

    /// <summary>Numbers the provider refuses, as the real one does for a blocked number, quoting the number in its error.</summary>
    public HashSet<string> Blocked { get; } = [];

    public static Task<FakeSmsProvider> StartAsync() => LoopbackApp.StartWithRetriesAsync(StartOnceAsync);

    private static async Task<FakeSmsProvider> StartOnceAsync()
    {
        var (app, port) = LoopbackApp.Create();
        var fake = new FakeSmsProvider(app, port);
        app.MapPost("/sms", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var hash = Convert.ToBase64String(SHA256.HashData(body));
            var date = request.Headers["x-ms-date"].ToString();
            var expected = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
                + AcsSmsSender.Sign(AccessKey, "POST", request.Path + request.QueryString, date, request.Host.Value!, hash);
            var valid = request.Headers["x-ms-content-sha256"] == hash && request.Headers.Authorization == expected && request.Query["api-version"] == "2021-03-07";
            using var json = JsonDocument.Parse(body);
            var to = json.RootElement.GetProperty("smsRecipients")[0].GetProperty("to").GetString()!;
            fake._received.Enqueue(new ReceivedSms(json.RootElement.GetProperty("from").GetString()!, to, json.RootElement.GetProperty("message").GetString()!, valid));
            if (!valid)
            {
                return Results.StatusCode(401);
            }

            return fake.Blocked.Contains(to)
                ? Results.Json(new { value = new[] { new { to, httpStatusCode = 400, successful = false, errorMessage = $"Recipient {to} has opted out." } } }, statusCode: 202)
                : Results.Json(new { value = new[] { new { to, messageId = Guid.NewGuid().ToString(), httpStatusCode = 202, successful = true } } }, statusCode: 202);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
