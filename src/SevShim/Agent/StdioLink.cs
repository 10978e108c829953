using System.Buffers.Binary;
using System.Collections.Concurrent;
using Serilog;
using SevAgentProto.Stdio;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Agent;

/// <summary>
/// The host end of the stdio link (ARCHITECTURE.md decision 3): process stdin, stdout and stderr
/// as frames on a virtio-serial port of their own, off gRPC. One reader task takes every frame
/// the agent sends and hands it to its stream without waiting (a stream holds at most the credit
/// it granted), so one slow FIFO reader never holds up another process. Writes are whole frames,
/// one at a time. When the link ends, every open stream fails as Unavailable.
/// Ownership: owns the link's stream and its reader task; <see cref="Dispose"/> ends both.
/// </summary>
internal sealed class StdioLink : IDisposable
{
    /// <summary>Output bytes the agent may send ahead of the FIFO (four of its largest chunks).</summary>
    internal const uint OutputCredit = 4 * StdioFrameHeader.MaxPayload;

    private readonly Stream _link;
    private readonly StdioFrameWriter _writer;
    private readonly ChunkPool _pool;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<uint, IStdioLinkStream> _streams = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private volatile ShimException? _closed;
    private int _lastId;

    /// <param name="link">A handshaken byte stream to the agent's stdio port (AgentChannel.ConnectVirtioSerialAsync).</param>
    /// <param name="pool">Where output chunks are rented.</param>
    /// <param name="log">The shim's log.</param>
    public StdioLink(Stream link, ChunkPool pool, ILogger log)
    {
        _link = link;
        _writer = new StdioFrameWriter(link);
        _pool = pool;
        _log = log;
        _reader = Task.Run(() => ReadAsync(_stop.Token));
    }

    /// <summary>Opens one output of <paramref name="process"/>.</summary>
    public IGuestOutputStream OpenOutput(GuestProcessId process, GuestOutputKind kind, CancellationToken cancellationToken)
    {
        var id = (uint)Interlocked.Increment(ref _lastId);
        var name = $"the {(kind == GuestOutputKind.Stdout ? "stdout" : "stderr")} of {process}";
        var open = new StdioOpen(kind == GuestOutputKind.Stdout ? StdioOutputKind.Stdout : StdioOutputKind.Stderr, OutputCredit, process.ContainerId, process.ExecId);
        var stream = new StdioLinkOutput(this, id, name);
        Register(id, stream);
        stream.Opened = SendAsync(StdioFrameType.OpenOutput, id, open.Encode(), name, cancellationToken);
        return stream;
    }

    /// <summary>Opens the stdin of <paramref name="process"/>.</summary>
    public IGuestStdinStream OpenStdin(GuestProcessId process, CancellationToken cancellationToken)
    {
        var id = (uint)Interlocked.Increment(ref _lastId);
        var name = $"the stdin of {process}";
        var stream = new StdioLinkStdin(this, id, name);
        Register(id, stream);
        stream.Opened = SendAsync(StdioFrameType.OpenInput, id, new StdioOpen(null, 0, process.ContainerId, process.ExecId).Encode(), name, cancellationToken);
        return stream;
    }

    /// <summary>Sends one frame; a broken link is Unavailable naming <paramref name="what"/>.</summary>
    internal async Task SendAsync(StdioFrameType type, uint id, ReadOnlyMemory<byte> payload, string what, CancellationToken cancellationToken)
    {
        if (_closed is { } closed)
        {
            throw Unavailable(what, closed.Message);
        }

        try
        {
            await _writer.WriteAsync(type, id, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            throw Unavailable(what, ex.Message);
        }
    }

    /// <summary>Sends a Credit frame granting <paramref name="bytes"/>.</summary>
    internal Task SendCreditAsync(uint id, int bytes, string what, CancellationToken cancellationToken)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, bytes);
        return SendAsync(StdioFrameType.Credit, id, payload, what, cancellationToken);
    }

    /// <summary>Abandons a stream the caller is done with (no answer comes); a failure to send is only logged.</summary>
    internal void Cancel(uint id, string what)
    {
        _streams.TryRemove(id, out _);
        if (_closed is not null)
        {
            return;
        }

        _ = SendAsync(StdioFrameType.Cancel, id, ReadOnlyMemory<byte>.Empty, what, CancellationToken.None).ContinueWith(
            t => _log.Debug("stdio: cancelling {What}: {Message}", what, t.Exception?.InnerException?.Message),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Forgets a stream that ended.</summary>
    internal void Forget(uint id) => _streams.TryRemove(id, out _);

    /// <inheritdoc/>
    public void Dispose()
    {
        _closed ??= new ShimException(ShimErrorKind.Unavailable, "sevshim: the stdio link was closed");
        _stop.Cancel();
        _link.Dispose();
        _reader.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _writer.Dispose();
    }

    private void Register(uint id, IStdioLinkStream stream)
    {
        _streams[id] = stream;
        if (_closed is { } closed)
        {
            // The link ended before the stream was known to the reader's final sweep.
            _streams.TryRemove(id, out _);
            stream.Fail(closed);
        }
    }

    private async Task ReadAsync(CancellationToken token)
    {
        var reader = new StdioFrameReader(_link);
        var scratch = new byte[StdioError.MaxMessageBytes + 1];
        string why = "the agent closed it";
        try
        {
            while (await reader.ReadHeaderAsync(token).ConfigureAwait(false) is { } header)
            {
                _streams.TryGetValue(header.Stream, out var stream);
                if (header.Type == StdioFrameType.Data && stream is not null)
                {
                    var buffer = _pool.Rent(header.Length);
                    await reader.ReadPayloadAsync(buffer.AsMemory(0, header.Length), token).ConfigureAwait(false);
                    stream.Deliver(new PooledChunk(_pool, buffer, header.Length));
                    continue;
                }

                var payload = header.Length <= scratch.Length ? scratch.AsMemory(0, header.Length) : new byte[header.Length];
                await reader.ReadPayloadAsync(payload, token).ConfigureAwait(false);
                switch (header.Type)
                {
                    case StdioFrameType.Data:
                        // A stream this side already let go of: its late bytes are dropped.
                        break;
                    case StdioFrameType.Credit when header.Length == 4:
                        stream?.Grant(BinaryPrimitives.ReadUInt32BigEndian(payload.Span));
                        break;
                    case StdioFrameType.End:
                        _streams.TryRemove(header.Stream, out _);
                        stream?.End();
                        break;
                    case StdioFrameType.Error:
                        _streams.TryRemove(header.Stream, out _);
                        var error = StdioError.Decode(payload.Span);
                        stream?.Fail(new ShimException(KindOf(error.Code), $"sevshim: {stream?.Name ?? "a stdio stream"}: {error.Message}"));
                        break;
                    default:
                        throw new InvalidDataException($"unexpected {header.Type} frame from the agent");
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException or OperationCanceledException)
        {
            why = ex.Message;
            if (!token.IsCancellationRequested)
            {
                _log.Warning("stdio: the link to the agent failed: {Message}", ex.Message);
            }
        }
        finally
        {
            var closed = _closed ?? new ShimException(ShimErrorKind.Unavailable, $"sevshim: the stdio link to the agent in the pod VM ended ({why})");
            _closed = closed;
            foreach (var id in _streams.Keys)
            {
                if (_streams.TryRemove(id, out var open))
                {
                    open.Fail(closed);
                }
            }
        }
    }

    private static ShimException Unavailable(string what, string detail) =>
        new(ShimErrorKind.Unavailable, $"sevshim: {what}: the agent in the pod VM cannot be reached over the stdio link ({detail})");

    private static ShimErrorKind KindOf(StdioErrorCode code) => code switch
    {
        StdioErrorCode.NotFound => ShimErrorKind.NotFound,
        StdioErrorCode.FailedPrecondition => ShimErrorKind.FailedPrecondition,
        _ => ShimErrorKind.Internal,
    };
}
