using Azure;
using Azure.Data.Tables;

namespace Crisis.Functions.Storage;

/// <summary>
/// What a storage operation came to when it did not simply succeed, in the project's own terms. The storage
/// operations in this folder throw only these, so no feature ever handles an SDK exception.
/// </summary>
public abstract class StorageException : Exception
{
    protected StorageException(string message, string? errorCode, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The service's error code, e.g. <c>EntityAlreadyExists</c> or <c>LeaseAlreadyPresent</c>, for logs.</summary>
    public string? ErrorCode { get; }

    /// <summary>For a failed entity-group transaction, the index of the action the service named.</summary>
    public int? FailedActionIndex { get; init; }
}

/// <summary>The entity, blob, table or container does not exist (any more).</summary>
public sealed class NotFoundException(string message, string? errorCode = null, Exception? innerException = null)
    : StorageException(message, errorCode, innerException);

/// <summary>It exists already (a create-only write), or a lease is held by someone else.</summary>
public sealed class AlreadyExistsException(string message, string? errorCode = null, Exception? innerException = null)
    : StorageException(message, errorCode, innerException);

/// <summary>Someone else changed it since it was read (its ETag, version or lease no longer matches): read again and decide again.</summary>
public sealed class ChangedMeanwhileException(string message, string? errorCode = null, Exception? innerException = null)
    : StorageException(message, errorCode, innerException);

/// <summary>Storage cannot be reached, timed out or is throttling, and still was after the client's retries: try again later.</summary>
public sealed class StorageUnavailableException(string message, string? errorCode = null, Exception? innerException = null)
    : StorageException(message, errorCode, innerException);

/// <summary>The service refused the request for another reason (a malformed request: a bug, or input that should have been validated).</summary>
public sealed class StorageRefusedException(string message, string? errorCode = null, Exception? innerException = null)
    : StorageException(message, errorCode, innerException);

/// <summary>Turns the SDK's failures into <see cref="StorageException"/>s: the one place that reads their status codes.</summary>
public static class StorageErrors
{
    /// <summary>
    /// Runs one storage call and translates its failure. Cancellation by the caller passes through unchanged;
    /// everything the SDK throws after its own retries (a status, a refused connection, a timeout) is translated.
    /// </summary>
    public static async Task<T> Translate<T>(string operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
        catch (Exception e) when (ToStorageException(e, operation, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The project's outcome for a failure of <paramref name="operation"/>, or null when it is the caller's own cancellation.</summary>
    public static StorageException? ToStorageException(Exception exception, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            StorageException => null,
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            TableTransactionFailedException t => FromStatus(t, operation, t.FailedTransactionActionIndex),
            RequestFailedException r => FromStatus(r, operation, null),

            // A network timeout of the client's own, or every retry failing to connect.
            OperationCanceledException or HttpRequestException or IOException or AggregateException =>
                new StorageUnavailableException($"{operation}: storage did not answer ({exception.GetType().Name}).", null, exception),
            _ => null,
        };
    }

    private static StorageException FromStatus(RequestFailedException e, string operation, int? failedIndex)
    {
        var message = $"{operation} failed: {(e.Status == 0 ? "storage gave no response" : e.Status)} {e.ErrorCode}".TrimEnd();
        return e.Status switch
        {
            404 => new NotFoundException(message, e.ErrorCode, e) { FailedActionIndex = failedIndex },
            409 => new AlreadyExistsException(message, e.ErrorCode, e) { FailedActionIndex = failedIndex },
            412 => new ChangedMeanwhileException(message, e.ErrorCode, e) { FailedActionIndex = failedIndex },
            0 or 408 or 429 or >= 500 => new StorageUnavailableException(message, e.ErrorCode, e),
            _ => new StorageRefusedException(message, e.ErrorCode, e) { FailedActionIndex = failedIndex },
        };
    }
}
