using System.Threading.Channels;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Agent;

/// <summary>
/// One process output on the <see cref="StdioLink"/>. Chunks queue here as the link's reader
/// delivers them (at most the credit granted: <see cref="StdioLink.OutputCredit"/>); each read
/// gives the previous chunk's bytes back as credit, so the agent sends only as fast as the FIFO
/// takes it. Ownership: the caller owns the stream (IGuestOutputStream); the queue's chunks are
/// this stream's until read; <see cref="Dispose"/> abandons the stream if it is still open.
/// </summary>
internal sealed class StdioLinkOutput(StdioLink link, uint id, string name) : IGuestOutputStream, IStdioLinkStream
{
    private readonly Channel<PooledChunk> _chunks = Channel.CreateUnbounded<PooledChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private volatile ShimException? _failure;
    private volatile bool _over;
    private int _consumed;

    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The OpenOutput frame's send.</summary>
    public Task Opened { get; set; } = Task.CompletedTask;

    /// <inheritdoc/>
    public async ValueTask<PooledChunk?> ReadAsync(CancellationToken cancellationToken)
    {
        await Opened.ConfigureAwait(false);
        if (_consumed > 0 && !_over)
        {
            var bytes = _consumed;
            _consumed = 0;
            await link.SendCreditAsync(id, bytes, name, cancellationToken).ConfigureAwait(false);
        }

        while (await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_chunks.Reader.TryRead(out var chunk))
            {
                _consumed = chunk.Length;
                return chunk;
            }
        }

        return _failure is { } failure ? throw failure : null;
    }

    /// <inheritdoc/>
    public void Deliver(PooledChunk chunk)
    {
        if (!_chunks.Writer.TryWrite(chunk))
        {
            chunk.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Grant(uint bytes)
    {
        // The agent grants nothing on an output.
    }

    /// <inheritdoc/>
    public void End()
    {
        _over = true;
        _chunks.Writer.TryComplete();
    }

    /// <inheritdoc/>
    public void Fail(ShimException error)
    {
        _failure = error;
        End();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_over)
        {
            _over = true;
            link.Cancel(id, name);
        }

        _chunks.Writer.TryComplete();
        while (_chunks.Reader.TryRead(out var chunk))
        {
            chunk.Dispose();
        }
    }
}
