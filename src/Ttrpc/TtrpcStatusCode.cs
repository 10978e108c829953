namespace Ttrpc;

/// <summary>
/// Status codes carried in a ttrpc response (the standard gRPC codes, SHIM-PROTOCOL.md 1.2).
/// containerd maps them back to its error kinds with errdefs.FromGRPC, so the choice matters:
/// e.g. NotFound from Delete is benign, Unimplemented means "not supported by this shim".
/// </summary>
public enum TtrpcStatusCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>The call was cancelled (containerd: context.Canceled).</summary>
    Cancelled = 1,

    /// <summary>Unknown error (containerd: ErrUnknown).</summary>
    Unknown = 2,

    /// <summary>The client gave a bad argument (containerd: ErrInvalidArgument).</summary>
    InvalidArgument = 3,

    /// <summary>The deadline passed before the call finished (containerd: context.DeadlineExceeded).</summary>
    DeadlineExceeded = 4,

    /// <summary>The thing asked for does not exist (containerd: ErrNotFound).</summary>
    NotFound = 5,

    /// <summary>The thing to create already exists (containerd: ErrAlreadyExists).</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not do this.</summary>
    PermissionDenied = 7,

    /// <summary>A limit was hit, e.g. the 4 MiB message limit.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in the state the call needs (containerd: ErrFailedPrecondition).</summary>
    FailedPrecondition = 9,

    /// <summary>The call was aborted, typically by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>A value was outside its valid range.</summary>
    OutOfRange = 11,

    /// <summary>The service or method is not implemented (containerd: ErrNotImplemented).</summary>
    Unimplemented = 12,

    /// <summary>An internal invariant was broken.</summary>
    Internal = 13,

    /// <summary>The peer or connection is not available (containerd: ErrUnavailable).</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The caller is not authenticated.</summary>
    Unauthenticated = 16,
}
