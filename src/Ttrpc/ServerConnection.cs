using System.Net.Sockets;
using Google.Protobuf;
using Ttrpc.Protocol;

namespace Ttrpc;

/// <summary>
/// One accepted connection of a <see cref="TtrpcServer"/>: a read loop that decodes frames and
/// starts one task per request; answers go through the connection's <see cref="FrameWriter"/>
/// (its single writer lock serialises them). Owns the socket: it is closed when the read loop ends.
/// Behaviour follows Go ttrpc server.go (v1.1.1, what containerd 1.6 uses), see SHIM-PROTOCOL.md 1.
/// </summary>
internal sealed class ServerConnection
{
    private readonly Socket _socket;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly MethodTable _methods;
    private readonly TtrpcServerOptions _options;
    private readonly PeerCredentials? _peer;

    // Cancelled when the connection ends (peer gone, drained, or the server stops hard). Every
    // handler token is linked to it, as Go cancels a connection's calls when it goes away.
    // Never disposed: late handler tasks may still link to it, and it owns no timer or handle.
    private readonly CancellationTokenSource _lifetime;

    // Calls started and not fully finished (answer written and handler returned); with
    // _draining it decides when a graceful shutdown may close the connection.
    private int _inFlight;
    private int _draining;

    public ServerConnection(Socket socket, PeerCredentials? peer, MethodTable methods, TtrpcServerOptions options, CancellationToken serverStop)
    {
        _socket = socket;
        _peer = peer;
        _methods = methods;
        _options = options;
        var stream = new NetworkStream(socket, ownsSocket: false);

        // Reads go through a buffer (several small frames per syscall); writes go straight to the socket.
        _reader = new FrameReader(new BufferedStream(stream, 64 * 1024), options.MaxMessageSize);
        _writer = new FrameWriter(stream);
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(serverStop);
    }

    private string Peer => _peer is { } p ? $"pid {p.Pid} uid {p.Uid}" : "unknown peer";

    /// <summary>Runs the read loop until the peer closes, an I/O error, a drain or a hard stop; then closes the socket.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (await _reader.ReadAsync(_lifetime.Token) is { } frame)
            {
                await OnFrameAsync(frame);
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // Drained or stopped: a normal end.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Log($"ttrpc connection from {Peer} ended: {ex.Message}");
        }
        finally
        {
            Close();
            _socket.Dispose();
        }
    }

    /// <summary>Graceful shutdown: refuse new calls, close once the in-flight ones have finished.</summary>
    public void BeginDrain()
    {
        // Interlocked on both sides (here and in OnFrameAsync) so that either this sees the
        // new call, or the read loop sees the flag: a close is never missed.
        Interlocked.Exchange(ref _draining, 1);
        if (Interlocked.CompareExchange(ref _inFlight, 0, 0) == 0)
        {
            Close();
        }
    }

    private async Task OnFrameAsync(Frame frame)
    {
        var streamId = frame.Header.StreamId;

        // Go ttrpc answers an oversized frame on its stream whatever its type, after skipping it.
        if (frame.IsOversized)
        {
            await SendStatusAsync(
                streamId,
                TtrpcStatusCode.ResourceExhausted,
                $"message length {frame.Header.Length} exceed maximum message size of {_options.MaxMessageSize}");
            return;
        }

        // ttrpc 1.1 servers ignore every other type for forward compatibility (1.2 Data frames
        // belong to streaming, which this library does not implement).
        if (frame.Header.Type != FrameType.Request)
        {
            Log($"ttrpc: ignoring frame of type {frame.Header.Type} on stream {streamId} from {Peer}");
            return;
        }

        if ((streamId & 1) == 0)
        {
            await SendStatusAsync(streamId, TtrpcStatusCode.InvalidArgument, "StreamID must be odd for client initiated streams");
            return;
        }

        Request request;
        try
        {
            request = Request.Parser.ParseFrom(frame.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            await SendStatusAsync(streamId, TtrpcStatusCode.InvalidArgument, $"unmarshal request error: {ex.Message}");
            return;
        }

        Interlocked.Increment(ref _inFlight);
        if (Interlocked.CompareExchange(ref _draining, 0, 0) == 1)
        {
            try
            {
                await SendStatusAsync(streamId, TtrpcStatusCode.Unavailable, "ttrpc server is shutting down: retry on a new connection");
            }
            finally
            {
                CallFinished();
            }

            return;
        }

        // Off the read loop, so a slow or blocking handler never holds up the other calls.
        _ = Task.Run(() => DispatchAsync(streamId, request));
    }

    private async Task DispatchAsync(uint streamId, Request request)
    {
        Task<IMessage>? handlerTask = null;
        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        DateTimeOffset? deadline = null;
        if (request.TimeoutNano > 0)
        {
            // timeout_nano is the time left when the client sent it (SHIM-PROTOCOL.md 1.2).
            var timeout = TimeSpan.FromTicks(Math.Max(1, request.TimeoutNano / 100));
            deadline = DateTimeOffset.UtcNow + timeout;
            callCts.CancelAfter(timeout < MaxTimer ? timeout : MaxTimer);
        }

        Response response;
        try
        {
            var method = _methods.Resolve(request.Service, request.Method);
            var context = new TtrpcCallContext(
                request.Service, request.Method, MetadataOf(request), deadline, _peer?.Uid ?? -1, _peer?.Pid ?? -1);
            handlerTask = method.InvokeAsync(request.Payload, context, callCts.Token);

            // Answer when the handler returns or when the deadline passes, whichever comes first.
            var result = await handlerTask.WaitAsync(callCts.Token);
            response = SuccessOf(request, result);
        }
        catch (Exception ex)
        {
            var deadlinePassed = deadline is not null && callCts.IsCancellationRequested && !_lifetime.IsCancellationRequested;
            response = FailureOf(request, ex, deadlinePassed);
        }

        try
        {
            await _writer.WriteAsync(streamId, FrameType.Response, response, _lifetime.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Log($"ttrpc: could not answer {request.Service}/{request.Method} (stream {streamId}) to {Peer}, connection gone: {ex.Message}");
        }
        finally
        {
            // A graceful shutdown waits for the handler itself, also one still running past its deadline.
            if (handlerTask is { IsCompleted: false })
            {
                await ((Task)handlerTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            CallFinished();
        }
    }

    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(30);

    private Response SuccessOf(Request request, IMessage result)
    {
        var response = new Response { Payload = result.ToByteString() };
        var size = response.CalculateSize();
        return size <= _options.MaxMessageSize
            ? response
            : StatusResponse(
                TtrpcStatusCode.ResourceExhausted,
                $"response of {request.Service}/{request.Method} is {size} bytes, over the ttrpc limit of {_options.MaxMessageSize}");
    }

    private Response FailureOf(Request request, Exception ex, bool deadlinePassed)
    {
        switch (ex)
        {
            case TtrpcException te:
                var response = StatusResponse(te.Code, te.Message);
                response.Status.Details.AddRange(te.Details);
                return response;
            case OperationCanceledException when deadlinePassed:
                return StatusResponse(TtrpcStatusCode.DeadlineExceeded, "context deadline exceeded");
            case OperationCanceledException:
                return StatusResponse(TtrpcStatusCode.Cancelled, "context canceled");
            default:
                // Go ttrpc turns an error without a status into Unknown with its text.
                Log($"ttrpc: handler of {request.Service}/{request.Method} failed: {ex}");
                return StatusResponse(TtrpcStatusCode.Unknown, ex.Message);
        }
    }

    private static Response StatusResponse(TtrpcStatusCode code, string message) =>
        new() { Status = new Protocol.Status { Code = (int)code, Message = message } };

    private async Task SendStatusAsync(uint streamId, TtrpcStatusCode code, string message)
    {
        Log($"ttrpc: answering stream {streamId} from {Peer} with {code}: {message}");
        await _writer.WriteAsync(streamId, FrameType.Response, StatusResponse(code, message), _lifetime.Token);
    }

    private static Dictionary<string, IReadOnlyList<string>> MetadataOf(Request request)
    {
        // Keys may repeat on the wire (multi-valued); Go lower-cases keys, so look them up case-insensitively.
        var metadata = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in request.Metadata)
        {
            if (metadata.TryGetValue(pair.Key, out var values))
            {
                ((List<string>)values).Add(pair.Value);
            }
            else
            {
                metadata.Add(pair.Key, new List<string> { pair.Value });
            }
        }

        return metadata;
    }

    private void CallFinished()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Interlocked.CompareExchange(ref _draining, 0, 0) == 1)
        {
            Close();
        }
    }

    private void Close() => _lifetime.Cancel();

    private void Log(string message) => _options.Log?.Invoke(message);
}
