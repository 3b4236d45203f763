namespace Crisis.Functions.Host.Rpc;

/// <summary>The worker's stream ended while the host was waiting for an answer on it.</summary>
internal sealed class WorkerConnectionLostException : Exception
{
    public WorkerConnectionLostException()
        : base("The worker's connection to the host was lost.")
    {
    }

    public WorkerConnectionLostException(string message)
        : base(message)
    {
    }

    public WorkerConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
