using System.Threading.Channels;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>
/// One process stdin on the stdio link. The session's reader queues the host's Data frames here
/// (never waiting: the host sends at most the credit granted), and this stream's task hands them
/// to the process's <see cref="StdinWriter"/> in order, granting the credit back as each is taken.
/// The host's End closes stdin once everything before it was written, then End is answered; the
/// host's Cancel, or the link's end, releases the writer without closing stdin (as a cancelled
/// WriteStdin call does). Ownership: owns the writer's claim; the session owns the frame writer.
/// </summary>
internal sealed class StdioInputStream(uint id, StdinWriter stdin, IDisposable claim, int credit, StdioFrameWriter writer, CancellationToken sessionToken)
{
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);
    private long _outstanding;

    /// <summary>Queues host data; false when the host sent more than its credit.</summary>
    public bool Enqueue(byte[] data)
    {
        if (Interlocked.Add(ref _outstanding, data.Length) > credit)
        {
            return false;
        }

        _queue.Writer.TryWrite(data);
        return true;
    }

    /// <summary>The host's End: close stdin after the queued data.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>The host's Cancel or the link's end: stop without closing stdin.</summary>
    public void Abandon()
    {
        _queue.Writer.TryComplete();
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Writes until the host's End (then closes stdin and answers End) or cancellation.</summary>
    public async Task RunAsync()
    {
        var token = _cancel.Token;
        try
        {
            await foreach (var data in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (!await stdin.WriteAsync(data, token).ConfigureAwait(false))
                {
                    throw AgentException.FailedPrecondition("the process no longer reads its stdin (it closed it or exited)");
                }

                Interlocked.Add(ref _outstanding, -data.Length);
                await writer.CreditAsync(id, data.Length, token).ConfigureAwait(false);
            }

            token.ThrowIfCancellationRequested();
            await stdin.CloseAsync(token).ConfigureAwait(false);
            await writer.WriteAsync(StdioFrameType.End, id, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
        }
        finally
        {
            claim.Dispose();
            _cancel.Dispose();
        }
    }
}
