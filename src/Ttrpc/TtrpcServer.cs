using System.Net.Sockets;
using Google.Protobuf;

namespace Ttrpc;

/// <summary>
/// A ttrpc server (containerd's RPC over unix sockets, SHIM-PROTOCOL.md section 1), unary calls only.
/// Register handlers with <see cref="AddMethod"/>, then run <see cref="ServeAsync"/> on a
/// listening socket. Each request runs concurrently; responses are matched by stream id.
/// </summary>
public sealed class TtrpcServer : IAsyncDisposable
{
    /// <summary>Creates a server with the given options.</summary>
    public TtrpcServer(TtrpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        throw new NotImplementedException();
    }

    /// <summary>
    /// Registers the handler of <paramref name="service"/>/<paramref name="method"/>
    /// (e.g. <c>containerd.task.v2.Task</c>/<c>Create</c>). Calls to unregistered names are
    /// answered with Unimplemented. A handler answers with a status by throwing
    /// <see cref="TtrpcException"/>; any other exception becomes Unknown with its message.
    /// The token is cancelled when the deadline passes, the peer disconnects or the server stops.
    /// </summary>
    public void AddMethod<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, TtrpcCallContext, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        throw new NotImplementedException();
    }

    /// <summary>
    /// Accepts connections on <paramref name="listener"/> (a bound, listening unix stream socket,
    /// possibly inherited from a parent process) until <paramref name="cancellationToken"/> is
    /// cancelled or <see cref="ShutdownAsync"/> is called. Completes when accepting has stopped and
    /// every connection it accepted is closed. Cancellation closes connections at once; use
    /// <see cref="ShutdownAsync"/> for a graceful stop. The caller keeps ownership of the listener.
    /// </summary>
    public Task ServeAsync(Socket listener, CancellationToken cancellationToken)
    {
        throw new NotImplementedException();
    }

    /// <summary>
    /// Graceful stop: stops accepting, lets in-flight calls finish, then closes connections.
    /// If <paramref name="cancellationToken"/> is cancelled first, the remaining calls are
    /// cancelled and connections are closed at once. Do not await this from inside a handler
    /// (it would wait for that handler); signal another task instead.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        throw new NotImplementedException();
    }

    /// <summary>Stops at once: cancels in-flight calls and closes every connection.</summary>
    public ValueTask DisposeAsync()
    {
        throw new NotImplementedException();
    }
}
