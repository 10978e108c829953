using SevAgent.Containers;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>
/// One process output on the stdio link: the pump's chunks as Data frames, each at most the
/// host's credit (a chunk is split when the credit is smaller), then End at EOF. The pump keeps
/// what was not sent, so a cancelled stream loses nothing and repeats nothing.
/// Ownership: owns its cancellation source; the session owns the writer.
/// </summary>
internal sealed class StdioOutputStream(uint id, OutputPump pump, uint credit, StdioFrameWriter writer, CancellationToken sessionToken)
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);

    /// <summary>What the host allows this stream to send.</summary>
    public StdioCredit Credit { get; } = new(credit);

    /// <summary>Copies until EOF (then sends End) or cancellation.</summary>
    public async Task RunAsync()
    {
        var token = _cancel.Token;
        try
        {
            await pump.DrainAsync(
                async (chunk, ct) =>
                {
                    // As much as the host's credit allows; the rest stays with the pump.
                    var n = await Credit.TakeAsync(chunk.Length, ct).ConfigureAwait(false);
                    ct.ThrowIfCancellationRequested();
                    if (n == 0)
                    {
                        throw new OperationCanceledException("the stream ended");
                    }

                    await writer.WriteAsync(StdioFrameType.Data, id, chunk[..n], ct).ConfigureAwait(false);
                    return n;
                },
                token).ConfigureAwait(false);
            await writer.WriteAsync(StdioFrameType.End, id, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
        }
        finally
        {
            _cancel.Dispose();
        }
    }

    /// <summary>The host abandoned the stream.</summary>
    public async Task CancelAsync()
    {
        try
        {
            await _cancel.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }
}
