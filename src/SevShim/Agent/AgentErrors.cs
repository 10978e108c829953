using Grpc.Core;
using SevShim.Errors;

namespace SevShim.Agent;

/// <summary>
/// Maps the agent's gRPC status codes (agent.proto's error list) to the shim's error kinds, which
/// the task service turns into containerd's errdefs codes. The agent's message names the thing
/// and the fix; it is kept, prefixed with what the shim was doing.
/// </summary>
internal static class AgentErrors
{
    /// <summary>The shim error kind for a gRPC status code.</summary>
    public static ShimErrorKind KindOf(StatusCode code) => code switch
    {
        StatusCode.NotFound => ShimErrorKind.NotFound,
        StatusCode.AlreadyExists => ShimErrorKind.AlreadyExists,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => ShimErrorKind.InvalidArgument,
        StatusCode.FailedPrecondition => ShimErrorKind.FailedPrecondition,
        // The link or the VM went away: containerd's ErrUnavailable.
        StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Aborted => ShimErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => ShimErrorKind.DeadlineExceeded,
        StatusCode.Unimplemented => ShimErrorKind.Unimplemented,
        _ => ShimErrorKind.Internal,
    };

    /// <summary>A ShimException for a failed agent call.</summary>
    public static ShimException From(RpcException ex, string operation)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var detail = ex.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled
            ? $"the agent in the pod VM cannot be reached ({ex.Status.Detail})"
            : ex.Status.Detail;
        return new ShimException(KindOf(ex.StatusCode), $"sevshim: {operation}: {detail}", ex);
    }
}
