namespace SevAgent.Errors;

/// <summary>
/// An error of the agent's domain with its <see cref="AgentErrorKind"/>. The message reaches the
/// shim, and through it the containerd user, verbatim: it names what failed and, where there is
/// one, the fix. The shim and the integration tests match on some of these texts.
/// </summary>
internal sealed class AgentException : Exception
{
    /// <summary>Creates an error of <paramref name="kind"/>.</summary>
    public AgentException(AgentErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates an error of <paramref name="kind"/> caused by <paramref name="innerException"/>.</summary>
    public AgentException(AgentErrorKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Creates an Internal error (for analyzers that want the standard constructors).</summary>
    public AgentException()
        : this(AgentErrorKind.Internal, "sevagent: internal error")
    {
    }

    /// <summary>Creates an Internal error with <paramref name="message"/>.</summary>
    public AgentException(string message)
        : this(AgentErrorKind.Internal, message)
    {
    }

    /// <summary>Creates an Internal error with <paramref name="message"/> and its cause.</summary>
    public AgentException(string message, Exception innerException)
        : this(AgentErrorKind.Internal, message, innerException)
    {
    }

    /// <summary>What kind of failure this is.</summary>
    public AgentErrorKind Kind { get; }

    /// <summary>A malformed request; <paramref name="message"/> names the key, field or id.</summary>
    public static AgentException InvalidArgument(string message) => new(AgentErrorKind.InvalidArgument, message);

    /// <summary>An unknown container, exec or other named thing.</summary>
    public static AgentException NotFound(string message) => new(AgentErrorKind.NotFound, message);

    /// <summary>The id is taken.</summary>
    public static AgentException AlreadyExists(string message) => new(AgentErrorKind.AlreadyExists, message);

    /// <summary>Not allowed now; <paramref name="message"/> names the state.</summary>
    public static AgentException FailedPrecondition(string message) => new(AgentErrorKind.FailedPrecondition, message);

    /// <summary>A dependency of the call cannot be reached now.</summary>
    public static AgentException Unavailable(string message) => new(AgentErrorKind.Unavailable, message);

    /// <summary>The operation ran out of time.</summary>
    public static AgentException DeadlineExceeded(string message) => new(AgentErrorKind.DeadlineExceeded, message);

    /// <summary>A failure inside the guest.</summary>
    public static AgentException Internal(string message) => new(AgentErrorKind.Internal, message);
}
