namespace SevAgent.Errors;

/// <summary>
/// The agent's error taxonomy (agent.proto documents which call answers which). Each kind is one
/// gRPC status code, mapped in one place (Services/AgentStatusMapper), so that domain code never
/// names a wire type; the shim turns the status back into its own ShimErrorKind (AgentErrors).
/// </summary>
internal enum AgentErrorKind
{
    /// <summary>The request is malformed; the message names the key, field or id at fault.</summary>
    InvalidArgument,

    /// <summary>An unknown container, exec, NIC or other named thing.</summary>
    NotFound,

    /// <summary>A container or exec with that id already exists.</summary>
    AlreadyExists,

    /// <summary>The call is not allowed in the current state; the message names the state.</summary>
    FailedPrecondition,

    /// <summary>Something the call needs (a listener in the guest, a device) cannot be reached now.</summary>
    Unavailable,

    /// <summary>The operation ran out of time.</summary>
    DeadlineExceeded,

    /// <summary>A failure inside the guest (crun, a system call) that the caller cannot fix by asking differently.</summary>
    Internal,
}
