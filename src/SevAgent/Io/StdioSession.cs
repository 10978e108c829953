using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>
/// One host connection of the stdio link (ARCHITECTURE.md decision 3): reads the host's frames
/// and serves each opened stream on a task of its own, so a process whose reader or writer is
/// slow holds only its own stream. Output is sent as the host's credit allows; stdin is queued up
/// to the credit this side granted and given back as the process takes it. When the connection
/// ends every stream stops: unsent output stays with its process for a later reader.
/// Ownership: owns the connection's stream and every stream task; <see cref="RunAsync"/> returns
/// once all of them ended.
/// </summary>
internal sealed class StdioSession(Stream link, IStdioStreams streams, ILogger log) : IDisposable
{
    /// <summary>Stdin bytes the host may send ahead of the process (its queue holds a few chunks).</summary>
    internal const int InputCredit = 256 * 1024;

    private readonly StdioFrameWriter _writer = new(link);
    private readonly ConcurrentDictionary<uint, StdioOutputStream> _outputs = new();
    private readonly ConcurrentDictionary<uint, StdioInputStream> _inputs = new();
    private readonly ConcurrentDictionary<uint, Task> _running = new();

    /// <summary>Serves the connection until it ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = new StdioFrameReader(link);
        try
        {
            while (await reader.ReadHeaderAsync(end.Token).ConfigureAwait(false) is { } header)
            {
                var payload = header.Length == 0 ? [] : new byte[header.Length];
                await reader.ReadPayloadAsync(payload, end.Token).ConfigureAwait(false);
                await DispatchAsync(header, payload, end.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException)
        {
            if (!end.IsCancellationRequested)
            {
                log.LogWarning("stdio link: {Message}; closing the connection", ex.Message);
            }
        }
        finally
        {
            await end.CancelAsync().ConfigureAwait(false);
            foreach (var input in _inputs.Values)
            {
                input.Abandon();
            }

            await Task.WhenAll(_running.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();

    private async Task DispatchAsync(StdioFrameHeader header, byte[] payload, CancellationToken token)
    {
        switch (header.Type)
        {
            case StdioFrameType.OpenOutput or StdioFrameType.OpenInput:
                var open = StdioOpen.TryDecode(payload, header.Type == StdioFrameType.OpenOutput);
                if (open is null)
                {
                    await FailAsync(header.Stream, new StdioError(StdioErrorCode.Internal, "malformed open frame"), token).ConfigureAwait(false);
                }
                else if (_outputs.ContainsKey(header.Stream) || _inputs.ContainsKey(header.Stream))
                {
                    await FailAsync(header.Stream, new StdioError(StdioErrorCode.Internal, $"stream {header.Stream} is already open"), token).ConfigureAwait(false);
                }
                else if (header.Type == StdioFrameType.OpenOutput)
                {
                    await OpenOutputAsync(header.Stream, open, token).ConfigureAwait(false);
                }
                else
                {
                    await OpenInputAsync(header.Stream, open, token).ConfigureAwait(false);
                }

                break;
            case StdioFrameType.Credit when payload.Length == 4:
                if (_outputs.TryGetValue(header.Stream, out var output))
                {
                    output.Credit.Grant(BinaryPrimitives.ReadUInt32BigEndian(payload));
                }

                break;
            case StdioFrameType.Data:
                if (_inputs.TryGetValue(header.Stream, out var input) && !input.Enqueue(payload))
                {
                    throw new InvalidDataException($"the host sent stdin stream {header.Stream} more than the credit it was given");
                }

                break;
            case StdioFrameType.End:
                if (_inputs.TryGetValue(header.Stream, out var closing))
                {
                    closing.Complete();
                }

                break;
            case StdioFrameType.Cancel:
                if (_outputs.TryRemove(header.Stream, out var abandoned))
                {
                    await abandoned.CancelAsync().ConfigureAwait(false);
                }

                if (_inputs.TryGetValue(header.Stream, out var released))
                {
                    released.Abandon();
                }

                break;
            default:
                throw new InvalidDataException($"unexpected {header.Type} frame of {header.Length} bytes from the host");
        }
    }

    private async Task OpenOutputAsync(uint id, StdioOpen open, CancellationToken token)
    {
        OutputPump? pump;
        try
        {
            pump = streams.Output(open.ContainerId, open.ExecId, open.Kind!.Value);
        }
        catch (AgentException ex)
        {
            await FailAsync(id, ToError(ex), token).ConfigureAwait(false);
            return;
        }

        if (pump is null)
        {
            await _writer.WriteAsync(StdioFrameType.End, id, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
            return;
        }

        var stream = new StdioOutputStream(id, pump, open.Credit, _writer, token);
        _outputs[id] = stream;
        Track(id, ServeAsync(id, stream.RunAsync, () => _outputs.TryRemove(id, out _)));
    }

    private async Task OpenInputAsync(uint id, StdioOpen open, CancellationToken token)
    {
        StdioInputStream stream;
        try
        {
            var (writer, name) = streams.Input(open.ContainerId, open.ExecId);
            stream = new StdioInputStream(id, writer, writer.Claim(name), InputCredit, _writer, token);
        }
        catch (AgentException ex)
        {
            await FailAsync(id, ToError(ex), token).ConfigureAwait(false);
            return;
        }

        _inputs[id] = stream;
        Track(id, ServeAsync(id, stream.RunAsync, () => _inputs.TryRemove(id, out _)));
        await _writer.CreditAsync(id, InputCredit, token).ConfigureAwait(false);
    }

    // The stream's task is in _running until it ends (its end may come first: then it is not kept).
    private void Track(uint id, Task task)
    {
        _running[id] = task;
        if (task.IsCompleted)
        {
            _running.TryRemove(id, out _);
        }
    }

    // A stream's task: its failure is the host's Error frame, never the session's end.
    private async Task ServeAsync(uint id, Func<Task> run, Action forget)
    {
        await Task.Yield();
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection ended or the host cancelled the stream.
        }
        catch (AgentException ex)
        {
            await FailQuietlyAsync(id, ToError(ex)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            log.LogDebug("stdio link: stream {Stream} ended: {Message}", id, ex.Message);
        }
        finally
        {
            forget();
            _running.TryRemove(id, out _);
        }
    }

    private Task FailAsync(uint id, StdioError error, CancellationToken token) =>
        _writer.WriteAsync(StdioFrameType.Error, id, error.Encode(), token);

    private async Task FailQuietlyAsync(uint id, StdioError error)
    {
        try
        {
            await _writer.WriteAsync(StdioFrameType.Error, id, error.Encode(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The link is gone: the host fails every stream itself.
        }
    }

    private static StdioError ToError(AgentException ex) => new(
        ex.Kind switch
        {
            AgentErrorKind.NotFound => StdioErrorCode.NotFound,
            AgentErrorKind.FailedPrecondition => StdioErrorCode.FailedPrecondition,
            _ => StdioErrorCode.Internal,
        },
        ex.Message);
}
