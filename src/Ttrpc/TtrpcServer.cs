using System.Net.Sockets;
using Google.Protobuf;

namespace Ttrpc;

/// <summary>
/// A ttrpc server (containerd's RPC over unix sockets, SHIM-PROTOCOL.md section 1), unary calls only.
/// Register handlers with <see cref="AddMethod"/>, then run <see cref="ServeAsync"/> on a
/// listening socket. Each request runs concurrently; responses are matched by stream id.
/// Not implemented: ttrpc 1.2 streaming (Data frames are ignored), server-initiated streams,
/// and the 1.2 check that stream ids strictly increase (1.1, which containerd 1.6 uses, has none).
/// </summary>
public sealed class TtrpcServer : IAsyncDisposable
{
    private readonly TtrpcServerOptions _options;
    private readonly MethodTable _methods = new();
    private readonly uint _ownUid;

    // Cancelled by ShutdownAsync/DisposeAsync: every accept loop stops.
    private readonly CancellationTokenSource _stopAccepting = new();

    // Cancelled by DisposeAsync, or by ShutdownAsync when its token fires: every connection closes at once.
    private readonly CancellationTokenSource _hardStop = new();

    // Guards _connections and _serveLoops; held only for collection access.
    private readonly Lock _lock = new();
    private readonly HashSet<ServerConnection> _connections = [];
    private readonly List<Task> _serveLoops = [];
    private int _shuttingDown;

    /// <summary>Creates a server with the given options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">MaxMessageSize is not positive.</exception>
    public TtrpcServer(TtrpcServerOptions options)
        : this(options, NativeMethods.GetEffectiveUserId())
    {
    }

    /// <summary>Creates a server that requires peers to have <paramref name="requiredPeerUid"/> (tests use another uid than ours).</summary>
    internal TtrpcServer(TtrpcServerOptions options, uint requiredPeerUid)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxMessageSize);
        _options = options;
        _ownUid = requiredPeerUid;
    }

    /// <summary>
    /// Registers the handler of <paramref name="service"/>/<paramref name="method"/>
    /// (e.g. <c>containerd.task.v2.Task</c>/<c>Create</c>). Calls to unregistered names are
    /// answered with Unimplemented. A handler answers with a status by throwing
    /// <see cref="TtrpcException"/>; any other exception becomes Unknown with its message.
    /// The token is cancelled when the deadline passes, the peer disconnects or the server stops.
    /// </summary>
    /// <exception cref="InvalidOperationException">The method is already registered.</exception>
    public void AddMethod<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, TtrpcCallContext, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(handler);
        _methods.Add(service, method, new TypedServerMethod<TRequest, TResponse>(parser, handler));
    }

    /// <summary>
    /// Accepts connections on <paramref name="listener"/> (a bound, listening unix stream socket,
    /// possibly inherited from a parent process) until <paramref name="cancellationToken"/> is
    /// cancelled, <see cref="ShutdownAsync"/> is called or the listener is closed. Completes
    /// (without throwing on cancellation) when accepting has stopped and every connection it
    /// accepted is closed. Cancellation closes those connections at once; use
    /// <see cref="ShutdownAsync"/> for a graceful stop. The caller keeps ownership of the listener.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The server was shut down or disposed.</exception>
    public Task ServeAsync(Socket listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _shuttingDown) != 0, this);
            var loop = Task.Run(() => ServeCoreAsync(listener, cancellationToken), CancellationToken.None);
            _serveLoops.Add(loop);
            return loop;
        }
    }

    /// <summary>
    /// Graceful stop: stops accepting, answers new calls with Unavailable, lets in-flight calls
    /// finish, then closes each connection. If <paramref name="cancellationToken"/> is cancelled
    /// first, the remaining calls are cancelled and connections are closed at once (no exception).
    /// Do not await this from inside a handler (it would wait for that handler); signal another
    /// task instead, e.g. answer containerd's Shutdown call, then shut down.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        var loops = BeginShutdown();
        foreach (var connection in Snapshot())
        {
            connection.BeginDrain();
        }

        await loops.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!loops.IsCompleted)
        {
            await _hardStop.CancelAsync();
            await loops.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Stops at once: cancels in-flight calls and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        var loops = BeginShutdown();
        await _hardStop.CancelAsync();
        await loops.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private Task BeginShutdown()
    {
        Task[] loops;
        lock (_lock)
        {
            Volatile.Write(ref _shuttingDown, 1);
            loops = [.. _serveLoops];
        }

        _stopAccepting.Cancel();
        return Task.WhenAll(loops);
    }

    private ServerConnection[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _connections];
        }
    }

    private async Task ServeCoreAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var acceptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopAccepting.Token);

        // Cancelling this loop's token closes the connections it accepted, at once.
        using var connectionsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _hardStop.Token);
        var accepted = new List<Task>();
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(acceptCts.Token);
            }
            catch (OperationCanceledException) when (acceptCts.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                // The owner closed the listener: stop accepting, as on cancellation.
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.Interrupted or SocketError.ConnectionReset)
            {
                // The peer gave up before we accepted it; nothing to do for the others.
                Log($"ttrpc: accept failed, continuing: {ex.Message}");
                continue;
            }

            accepted.RemoveAll(static t => t.IsCompleted);
            if (StartConnection(socket, connectionsStop.Token) is { } running)
            {
                accepted.Add(running);
            }
        }

        await Task.WhenAll(accepted);
    }

    private Task? StartConnection(Socket socket, CancellationToken stop)
    {
        var peer = PeerCredentials.TryRead(socket);

        // Same policy as Go ttrpc's UnixSocketRequireSameUser, which containerd and the Go shims use.
        if (_options.RequireSameUid && (peer is not { } p || (uint)p.Uid != _ownUid))
        {
            Log(peer is { } q
                ? $"ttrpc: closing connection from pid {q.Pid}: uid {q.Uid} is not this process's uid {_ownUid} (RequireSameUid)"
                : $"ttrpc: closing connection: peer credentials unreadable (not a unix socket?) and RequireSameUid is set");
            socket.Dispose();
            return null;
        }

        var connection = new ServerConnection(socket, peer, _methods, _options, stop);
        lock (_lock)
        {
            _connections.Add(connection);
        }

        // A connection accepted while a shutdown began is drained like the others.
        if (Volatile.Read(ref _shuttingDown) != 0)
        {
            connection.BeginDrain();
        }

        return Task.Run(async () =>
        {
            try
            {
                await connection.RunAsync();
            }
            catch (Exception ex)
            {
                // A fault in one connection must never disturb the others or the accept loop.
                Log($"ttrpc: connection failed unexpectedly: {ex}");
            }
            finally
            {
                lock (_lock)
                {
                    _connections.Remove(connection);
                }
            }
        }, CancellationToken.None);
    }

    private void Log(string message) => _options.Log?.Invoke(message);
}
