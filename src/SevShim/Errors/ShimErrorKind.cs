namespace SevShim.Errors;

/// <summary>
/// The shim's error taxonomy. Each kind is chosen for what containerd does with it after
/// errdefs.FromGRPC (SHIM-PROTOCOL.md 1.2): NotFound is benign on Delete and makes Stats skip the
/// task quietly; Unimplemented is what the shim README requires for an unsupported RPC. The only
/// mapping to wire status codes lives in the ttrpc adapter (SevShim.Tasks.TaskTtrpcAdapter).
/// </summary>
internal enum ShimErrorKind
{
    /// <summary>Unknown container, exec or process (containerd ErrNotFound).</summary>
    NotFound,

    /// <summary>A container or exec with that id already exists (ErrAlreadyExists).</summary>
    AlreadyExists,

    /// <summary>The operation is not allowed in the current state (ErrFailedPrecondition).</summary>
    FailedPrecondition,

    /// <summary>The request itself is malformed (ErrInvalidArgument).</summary>
    InvalidArgument,

    /// <summary>A dependency (the VM, containerd) cannot be reached now (ErrUnavailable).</summary>
    Unavailable,

    /// <summary>The operation ran out of time.</summary>
    DeadlineExceeded,

    /// <summary>The shim does not support this operation (ErrNotImplemented).</summary>
    Unimplemented,

    /// <summary>A bug or an unexpected failure inside the shim.</summary>
    Internal,
}
