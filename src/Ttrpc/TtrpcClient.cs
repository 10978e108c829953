using System.Collections.Concurrent;
using System.Net.Sockets;
using Google.Protobuf;
using Ttrpc.Protocol;

namespace Ttrpc;

/// <summary>
/// A ttrpc client on one unix socket connection (SHIM-PROTOCOL.md section 1). Many calls can be
/// in flight at once; each gets the next odd stream id (1, 3, 5, ...) and responses are matched
/// by stream id. After the connection is lost, connect a new client (ids restart at 1).
/// Unary calls only (no ttrpc 1.2 streaming).
/// </summary>
public sealed class TtrpcClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly string _peerName;

    // Calls waiting for their Response, by stream id. A call removes its own entry when it ends;
    // the read loop completes entries, and fails all that are left when the connection ends.
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<Response>> _pending = new();

    // Cancelled when the client is disposed; the read loop and frame writes use it.
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _readLoop;
    private static readonly TimeSpan MaxLocalTimer = TimeSpan.FromDays(30);
    private long _lastStreamId = -1;
    private int _closed;
    private int _disposed;

    private TtrpcClient(Socket socket, string peerName)
    {
        _socket = socket;
        _peerName = peerName;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new FrameReader(new BufferedStream(stream, 64 * 1024), TtrpcServerOptions.DefaultMaxMessageSize);
        _writer = new FrameWriter(stream);
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    /// <summary>
    /// Connects to a ttrpc server at <paramref name="socketPath"/>: a plain path, <c>unix:///path</c>
    /// (as containerd prints shim addresses), or <c>@name</c> / <c>unix://@name</c> for an abstract socket.
    /// </summary>
    /// <exception cref="TtrpcException">Unavailable when the socket cannot be connected.</exception>
    /// <exception cref="ArgumentException">The address is empty or has another scheme.</exception>
    public static async Task<TtrpcClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var path = socketPath.StartsWith("unix://", StringComparison.Ordinal) ? socketPath["unix://".Length..] : socketPath;
        if (path.Length == 0 || path.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"ttrpc address '{socketPath}' is not a unix socket: give a path or unix:///path", nameof(socketPath));
        }

        var endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TtrpcException(
                TtrpcStatusCode.Unavailable,
                $"cannot connect to ttrpc socket {socketPath}: {ex.Message} (is the server running and the path right?)",
                ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TtrpcClient(socket, socketPath);
    }

    /// <summary>Wraps an already connected stream socket; the client takes ownership of it.</summary>
    public static TtrpcClient FromConnectedSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return new TtrpcClient(socket, socket.RemoteEndPoint?.ToString() ?? "connected socket");
    }

    /// <summary>Completes (never faults) when the connection closes: peer closed, error or dispose.</summary>
    public Task Completion => _readLoop;

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
    /// when the connection is gone; ResourceExhausted when the request exceeds 4 MiB;
    /// Internal when the response does not decode.
    /// </exception>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(
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
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseParser);
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new TtrpcException(TtrpcStatusCode.DeadlineExceeded, $"ttrpc call {service}/{method}: timeout {t} has already passed");
        }

        var envelope = BuildRequest(service, method, request, timeout, metadata);
        var response = await ExchangeAsync(envelope, timeout, cancellationToken);
        if (response.Status is { Code: not 0 } status)
        {
            throw status.Details.Count == 0
                ? new TtrpcException((TtrpcStatusCode)status.Code, status.Message)
                : new TtrpcException((TtrpcStatusCode)status.Code, status.Message, [.. status.Details]);
        }

        try
        {
            return responseParser.ParseFrom(response.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new TtrpcException(
                TtrpcStatusCode.Internal,
                $"ttrpc response of {service}/{method} from {_peerName} does not decode as the expected message: {ex.Message}",
                ex);
        }
    }

    /// <summary>Closes the connection; calls still in flight fail with Unavailable.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync();
        _socket.Dispose();
        await _readLoop;
        _lifetime.Dispose();
    }

    private static Request BuildRequest<TRequest>(
        string service, string method, TRequest request, TimeSpan? timeout, IReadOnlyDictionary<string, string>? metadata)
        where TRequest : IMessage<TRequest>
    {
        var envelope = new Request
        {
            Service = service,
            Method = method,
            Payload = request.ToByteString(),

            // Remaining time in nanoseconds at send time; 0 means none (SHIM-PROTOCOL.md 1.2).
            TimeoutNano = timeout is { } t ? t.Ticks * 100 : 0,
        };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                envelope.Metadata.Add(new KeyValue { Key = key, Value = value });
            }
        }

        return envelope;
    }

    private async Task<Response> ExchangeAsync(Request envelope, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var size = envelope.CalculateSize();
        if (size > TtrpcServerOptions.DefaultMaxMessageSize)
        {
            // Current Go ttrpc refuses to send an oversized message, as here (SHIM-PROTOCOL.md 1.1).
            throw new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                $"ttrpc request {envelope.Service}/{envelope.Method} is {size} bytes, over the limit of {TtrpcServerOptions.DefaultMaxMessageSize}: send less data per call");
        }

        var streamId = NextStreamId();
        var pending = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[streamId] = pending;
        // Timers beyond ~49 days are not supported by CancellationTokenSource; such a call has in effect none.
        using var timeoutCts = timeout is { } t && t < MaxLocalTimer ? new CancellationTokenSource(t) : null;
        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts?.Token ?? default);
        try
        {
            // Checked after registering: either the read loop's final sweep sees this entry, or we see _closed.
            ThrowIfClosed();
            try
            {
                await _writer.WriteAsync(streamId, FrameType.Request, envelope, _lifetime.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                throw Unavailable(ex);
            }

            return await pending.Task.WaitAsync(callCts.Token);
        }
        catch (OperationCanceledException) when (timeoutCts?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            throw new TtrpcException(
                TtrpcStatusCode.DeadlineExceeded,
                $"ttrpc call {envelope.Service}/{envelope.Method} to {_peerName} did not finish within {timeout}");
        }
        finally
        {
            // A late answer to an abandoned call finds no entry and is dropped by the read loop.
            _pending.TryRemove(streamId, out _);
        }
    }

    private uint NextStreamId()
    {
        // Odd ids from 1, stepping by 2, per connection (client-initiated streams, SHIM-PROTOCOL.md 1.1).
        var id = Interlocked.Add(ref _lastStreamId, 2);
        return id <= uint.MaxValue
            ? (uint)id
            : throw new TtrpcException(TtrpcStatusCode.ResourceExhausted, $"ttrpc stream ids on {_peerName} are used up: connect a new client");
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw Unavailable(null);
        }
    }

    private TtrpcException Unavailable(Exception? cause) =>
        new(TtrpcStatusCode.Unavailable, $"ttrpc connection to {_peerName} is closed", cause);

    private async Task ReadLoopAsync()
    {
        Exception? cause = null;
        try
        {
            while (await _reader.ReadAsync(_lifetime.Token) is { } frame)
            {
                OnFrame(frame);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            cause = ex;
        }
        finally
        {
            Volatile.Write(ref _closed, 1);
            foreach (var streamId in _pending.Keys)
            {
                if (_pending.TryRemove(streamId, out var waiter))
                {
                    waiter.TrySetException(Unavailable(cause));
                }
            }

            _socket.Dispose();
        }
    }

    private void OnFrame(Frame frame)
    {
        var streamId = frame.Header.StreamId;
        if (frame.IsOversized)
        {
            _pending.TryGetValue(streamId, out var tooBig);
            tooBig?.TrySetException(new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                $"ttrpc response of {frame.Header.Length} bytes on stream {streamId} exceeds the limit of {TtrpcServerOptions.DefaultMaxMessageSize}"));
            return;
        }

        // Only Response frames answer unary calls; other types (1.2 Data) are ignored.
        if (frame.Header.Type != FrameType.Response || !_pending.TryGetValue(streamId, out var waiter))
        {
            return;
        }

        try
        {
            waiter.TrySetResult(Response.Parser.ParseFrom(frame.Payload));
        }
        catch (InvalidProtocolBufferException ex)
        {
            waiter.TrySetException(new TtrpcException(
                TtrpcStatusCode.Internal, $"ttrpc response frame on stream {streamId} does not decode: {ex.Message}", ex));
        }
    }
}
