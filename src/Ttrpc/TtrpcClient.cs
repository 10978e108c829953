using System.Net.Sockets;
using Google.Protobuf;

namespace Ttrpc;

/// <summary>
/// A ttrpc client on one unix socket connection (SHIM-PROTOCOL.md section 1). Many calls can be
/// in flight at once; each gets the next odd stream id (1, 3, 5, ...) and responses are matched
/// by stream id. After the connection is lost, connect a new client (ids restart at 1).
/// </summary>
public sealed class TtrpcClient : IAsyncDisposable
{
    private TtrpcClient()
    {
        throw new NotImplementedException();
    }

    /// <summary>
    /// Connects to a ttrpc server at <paramref name="socketPath"/>, a plain path or
    /// <c>unix:///path</c> (as containerd prints shim addresses).
    /// </summary>
    /// <exception cref="TtrpcException">Unavailable when the socket cannot be connected.</exception>
    public static Task<TtrpcClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        throw new NotImplementedException();
    }

    /// <summary>Wraps an already connected stream socket; the client takes ownership of it.</summary>
    public static TtrpcClient FromConnectedSocket(Socket socket)
    {
        throw new NotImplementedException();
    }

    /// <summary>Completes when the connection closes (peer closed, error or dispose).</summary>
    public Task Completion => throw new NotImplementedException();

    /// <summary>
    /// Calls <paramref name="service"/>/<paramref name="method"/> with <paramref name="request"/>
    /// and returns the decoded response.
    /// </summary>
    /// <param name="service">Fully qualified service name, e.g. <c>containerd.services.events.ttrpc.v1.Events</c>.</param>
    /// <param name="method">Bare method name, e.g. <c>Forward</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="responseParser">Parser of the response message.</param>
    /// <param name="timeout">Sent as Request.timeout_nano and enforced locally; null for none.</param>
    /// <param name="cancellationToken">Abandons the call (throws OperationCanceledException).</param>
    /// <param name="metadata">Optional request metadata key/value pairs.</param>
    /// <exception cref="TtrpcException">
    /// The server's status; DeadlineExceeded when <paramref name="timeout"/> passes; Unavailable
    /// when the connection is gone; ResourceExhausted when the request exceeds 4 MiB.
    /// </exception>
    public Task<TResponse> CallAsync<TRequest, TResponse>(
        string service,
        string method,
        TRequest request,
        MessageParser<TResponse> responseParser,
        TimeSpan? timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? metadata = null)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        throw new NotImplementedException();
    }

    /// <summary>Closes the connection; calls still in flight fail with Unavailable.</summary>
    public ValueTask DisposeAsync()
    {
        throw new NotImplementedException();
    }
}
