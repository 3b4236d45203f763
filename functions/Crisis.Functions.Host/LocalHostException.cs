namespace Crisis.Functions.Host;

/// <summary>A failure of the local host whose message says what to fix: configuration, worker start-up, a stage that timed out.</summary>
public sealed class LocalHostException : Exception
{
    public LocalHostException()
    {
    }

    public LocalHostException(string message)
        : base(message)
    {
    }

    public LocalHostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
