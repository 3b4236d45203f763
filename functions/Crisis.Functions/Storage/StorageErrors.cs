using System.Net;

namespace Crisis.Functions.Storage;

/// <summary>
/// A storage request the service refused. Callers catch the subclass that fits what they can do about it:
/// <see cref="StorageNotFoundException"/>, <see cref="StorageConflictException"/>,
/// <see cref="StoragePreconditionFailedException"/>, <see cref="StorageThrottledException"/>.
/// </summary>
public class StorageRequestException : Exception
{
    public StorageRequestException(int status, string? errorCode, string message, int? failedActionIndex = null)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
        FailedActionIndex = failedActionIndex;
    }

    public StorageRequestException()
    {
    }

    public StorageRequestException(string message)
        : base(message)
    {
    }

    public StorageRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the service answered (of the failing operation, for a batch).</summary>
    public int Status { get; }

    /// <summary>The service's error code, e.g. <c>EntityAlreadyExists</c> or <c>LeaseIdMissing</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>For a failed entity-group transaction, which action failed, when the service says.</summary>
    public int? FailedActionIndex { get; }

    internal static StorageRequestException Create(int status, string? errorCode, string? serviceMessage, string operation, int? failedActionIndex = null)
    {
        var message = $"{operation} failed: {status} {errorCode ?? ((HttpStatusCode)status).ToString()}"
            + (string.IsNullOrWhiteSpace(serviceMessage) ? "" : $" ({serviceMessage.Trim()})");
        return status switch
        {
            404 => new StorageNotFoundException(status, errorCode, message, failedActionIndex),
            409 => new StorageConflictException(status, errorCode, message, failedActionIndex),
            412 => new StoragePreconditionFailedException(status, errorCode, message, failedActionIndex),
            429 or 503 => new StorageThrottledException(status, errorCode, message, failedActionIndex),
            _ => new StorageRequestException(status, errorCode, message, failedActionIndex),
        };
    }
}

/// <summary>The table, entity, container or blob does not exist.</summary>
public sealed class StorageNotFoundException(int status, string? errorCode, string message, int? failedActionIndex = null)
    : StorageRequestException(status, errorCode, message, failedActionIndex);

/// <summary>It exists already, or a lease is held by someone else.</summary>
public sealed class StorageConflictException(int status, string? errorCode, string message, int? failedActionIndex = null)
    : StorageRequestException(status, errorCode, message, failedActionIndex);

/// <summary>An If-Match/If-None-Match condition or a lease id did not hold: someone else changed it first.</summary>
public sealed class StoragePreconditionFailedException(int status, string? errorCode, string message, int? failedActionIndex = null)
    : StorageRequestException(status, errorCode, message, failedActionIndex);

/// <summary>The service is busy and still said so after the pipeline's retries: back off.</summary>
public sealed class StorageThrottledException(int status, string? errorCode, string message, int? failedActionIndex = null)
    : StorageRequestException(status, errorCode, message, failedActionIndex);
