using System.Collections.Concurrent;
using System.Text;
using Crisis.Functions.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>One webhook call as received, with whether its Standard Webhooks signature verified.</summary>
public sealed record ReceivedWebhook(string Path, string Id, string Timestamp, string Body, bool SignatureValid);

/// <summary>
/// A real HTTP server on a loopback port that records webhook calls and checks their signatures with the test
/// secret. <see cref="Respond"/> decides each answer (200 unless told otherwise).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Decides the status for a call (after it is recorded as received); called concurrently.</summary>
    public Func<ReceivedWebhook, int> Respond { get; set; } = _ => 200;

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>Calls answered with 2xx, i.e. delivered.</summary>
    public List<ReceivedWebhook> Delivered { get; } = [];

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public static Task<WebhookReceiver> StartAsync() => LoopbackApp.StartWithRetriesAsync(StartOnceAsync);

    private static async Task<WebhookReceiver> StartOnceAsync()
    {
        var (app, port) = LoopbackApp.Create();
        var receiver = new WebhookReceiver(app, port);
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var id = request.Headers["webhook-id"].ToString();
            var timestamp = request.Headers["webhook-timestamp"].ToString();
            var expected = "v1," + WebhookSender.Sign(CrisisAppFactory.WebhookSecret, id, timestamp, Encoding.UTF8.GetBytes(body));
            var call = new ReceivedWebhook(request.Path, id, timestamp, body, request.Headers["webhook-signature"].ToString() == expected);
            receiver._received.Enqueue(call);
            var status = receiver.Respond(call);
            if (status is >= 200 and < 300)
            {
                lock (receiver.Delivered)
                {
                    receiver.Delivered.Add(call);
                }
            }

            return Results.StatusCode(status);
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

        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
