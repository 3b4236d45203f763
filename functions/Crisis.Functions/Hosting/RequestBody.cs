using System.Text.Json;

namespace Crisis.Functions.Hosting;

/// <summary>A request body longer than the endpoint accepts.</summary>
public sealed class RequestBodyTooLargeException(long limit)
    : IOException($"The request body is larger than {limit} bytes.");

/// <summary>Reads request bodies with a hard size limit, whatever Content-Length claims (or when it is absent).</summary>
public static class RequestBody
{
    /// <summary>Parses the body as JSON; <see cref="RequestBodyTooLargeException"/> past <paramref name="maxBytes"/>, <see cref="JsonException"/> when malformed.</summary>
    public static async Task<JsonDocument> ParseJsonAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            throw new RequestBodyTooLargeException(maxBytes);
        }

        await using var limited = new LimitedStream(request.Body, maxBytes);
        return await JsonDocument.ParseAsync(limited, new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false }, cancellationToken);
    }

    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new RequestBodyTooLargeException(limit) : read;
        }
    }
}
