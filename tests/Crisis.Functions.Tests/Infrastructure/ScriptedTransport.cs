using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// A stand-in for the network under our storage pipeline, for behaviour Azurite cannot be made to show
/// (throttling, 5xx, token auth against https): answers each request with the next scripted status, the
/// last one repeating, and records what was sent.
/// </summary>
public sealed class ScriptedTransport(params int[] statuses) : HttpPipelineTransport
{
    private int _next;

    public List<(string Method, string Uri, string? Authorization)> Requests { get; } = [];

    public override Request CreateRequest() => new HttpClientTransport().CreateRequest();

    public override void Process(HttpMessage message) => ProcessAsync(message).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Request.Headers.TryGetValue("Authorization", out var authorization);
        Requests.Add((message.Request.Method.Method, message.Request.Uri.ToString(), authorization));
        var status = statuses[Math.Min(_next++, statuses.Length - 1)];
        message.Response = new ScriptedResponse(status, message.Request.ClientRequestId);
        return ValueTask.CompletedTask;
    }

    private sealed class ScriptedResponse(int status, string clientRequestId) : Response
    {
        public override int Status => status;

        public override string ReasonPhrase => "";

        public override Stream? ContentStream { get; set; } = new MemoryStream();

        public override string ClientRequestId { get; set; } = clientRequestId;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, out string value)
        {
            value = "";
            return false;
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            values = [];
            return false;
        }
    }
}
