using Google.Protobuf.WellKnownTypes;

namespace Ttrpc;

/// <summary>
/// A ttrpc call failed with a status. Server handlers throw it to answer with that status;
/// <see cref="TtrpcClient.CallAsync"/> throws it with the status the server sent, or with
/// <see cref="TtrpcStatusCode.Unavailable"/> when the connection is gone.
/// </summary>
public sealed class TtrpcException : Exception
{
    /// <summary>Creates an error with a status code and a message for the peer.</summary>
    public TtrpcException(TtrpcStatusCode code, string message)
        : this(code, message, innerException: null)
    {
    }

    /// <summary>Creates an error with a status code, a message for the peer and the local cause.</summary>
    public TtrpcException(TtrpcStatusCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        Details = [];
    }

    /// <summary>Creates an error carrying google.rpc.Status details (rarely used by containerd).</summary>
    public TtrpcException(TtrpcStatusCode code, string message, IReadOnlyList<Any> details)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(details);
        Code = code;
        Details = details;
    }

    /// <summary>The status code.</summary>
    public TtrpcStatusCode Code { get; }

    /// <summary>The google.rpc.Status details; empty unless the peer sent some.</summary>
    public IReadOnlyList<Any> Details { get; }

    /// <inheritdoc />
    public override string ToString() => $"ttrpc {Code}: {base.ToString()}";
}
