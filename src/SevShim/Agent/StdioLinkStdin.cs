using SevAgentProto.Stdio;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Agent;

/// <summary>
/// The stdin of a process on the <see cref="StdioLink"/>: Data frames within the credit the agent
/// grants (it grants as the process takes its input), and End to close stdin, answered by End
/// once the process's stdin is closed. Ownership: the caller owns it (IGuestStdinStream), one
/// writer at a time; <see cref="Dispose"/> before <see cref="CompleteAsync"/> releases the stdin
/// without closing it.
/// </summary>
internal sealed class StdioLinkStdin(StdioLink link, uint id, string name) : IGuestStdinStream, IStdioLinkStream
{
    private readonly StdioCredit _credit = new(0);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ShimException? _failure;

    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The OpenInput frame's send.</summary>
    public Task Opened { get; set; } = Task.CompletedTask;

    /// <inheritdoc/>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await Opened.ConfigureAwait(false);
        var sent = 0;
        while (sent < data.Length)
        {
            var n = await _credit.TakeAsync(Math.Min(data.Length - sent, StdioFrameHeader.MaxPayload), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw _failure ?? new ShimException(ShimErrorKind.Unavailable, $"sevshim: {name} ended");
            }

            await link.SendAsync(StdioFrameType.Data, id, data.Slice(sent, n), name, cancellationToken).ConfigureAwait(false);
            sent += n;
        }
    }

    /// <inheritdoc/>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await Opened.ConfigureAwait(false);
        if (_failure is null && !_ended.Task.IsCompleted)
        {
            await link.SendAsync(StdioFrameType.End, id, ReadOnlyMemory<byte>.Empty, name, cancellationToken).ConfigureAwait(false);
        }

        await _ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_failure is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc/>
    public void Deliver(PooledChunk chunk) => chunk.Dispose();

    /// <inheritdoc/>
    public void Grant(uint bytes) => _credit.Grant(bytes);

    /// <inheritdoc/>
    public void End() => _ended.TrySetResult();

    /// <inheritdoc/>
    public void Fail(ShimException error)
    {
        _failure = error;
        _credit.Fail();
        _ended.TrySetResult();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_ended.Task.IsCompleted)
        {
            _credit.Fail();
            link.Cancel(id, name);
        }
    }
}
