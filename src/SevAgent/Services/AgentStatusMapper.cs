using Grpc.Core;
using SevAgent.Errors;

namespace SevAgent.Services;

/// <summary>
/// The one mapping from the agent's exceptions to gRPC statuses (the shim maps them back in its
/// AgentErrors): an <see cref="AgentException"/> keeps its message under its kind's code; a call
/// the shim cancelled is CANCELLED (DEADLINE_EXCEEDED when its deadline passed); anything else
/// is a bug or an unexpected failure of the guest and becomes INTERNAL with the exception's type
/// and message, never its stack trace (the agent's log has that).
/// </summary>
internal static class AgentStatusMapper
{
    /// <summary>The status code of <paramref name="kind"/>.</summary>
    public static StatusCode ToStatusCode(AgentErrorKind kind) => kind switch
    {
        AgentErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        AgentErrorKind.NotFound => StatusCode.NotFound,
        AgentErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        AgentErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        AgentErrorKind.Unavailable => StatusCode.Unavailable,
        AgentErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    /// <summary>True when <paramref name="exception"/> is one the mapping did not expect (the caller logs its stack).</summary>
    public static bool IsUnexpected(Exception exception, CancellationToken callToken) =>
        exception is not (AgentException or RpcException) && !IsCallCancellation(exception, callToken);

    /// <summary>
    /// The status for <paramref name="exception"/>, which escaped a handler of a call whose token
    /// is <paramref name="callToken"/> and whose deadline is <paramref name="deadlineUtc"/>
    /// (<see cref="DateTime.MaxValue"/> when it has none). An <see cref="RpcException"/> (from a
    /// stream of the call itself) is kept as it is.
    /// </summary>
    public static RpcException ToRpcException(Exception exception, DateTime deadlineUtc, CancellationToken callToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            RpcException rpc => rpc,
            AgentException agent => new RpcException(new Status(ToStatusCode(agent.Kind), agent.Message)),
            _ when IsCallCancellation(exception, callToken) => deadlineUtc <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "the call's deadline passed"))
                : new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled")),
            _ => new RpcException(new Status(StatusCode.Internal, $"unexpected {exception.GetType().Name} in the agent: {exception.Message}")),
        };
    }

    // Only the call's own cancellation: a timeout inside the agent (a linked token of its own)
    // is a failure of the agent and stays INTERNAL.
    private static bool IsCallCancellation(Exception exception, CancellationToken callToken) =>
        exception is OperationCanceledException && callToken.IsCancellationRequested;
}
