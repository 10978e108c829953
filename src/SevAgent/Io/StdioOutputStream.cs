using SevAgent.Containers;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>
/// One process output on the stdio link: the pump's chunks as Data frames, each at most the
/// host's credit (a chunk is split when the credit is smaller), then End at EOF. A chunk leaves
/// the pump's queue only once all of it was sent, so a cancelled stream loses nothing.
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
            await pump.CopyToAsync(
                async (chunk, ct) =>
                {
                    var sent = 0;
                    while (sent < chunk.Length)
                    {
                        var n = await Credit.TakeAsync(chunk.Length - sent, ct).ConfigureAwait(false);
                        ct.ThrowIfCancellationRequested();
                        await writer.WriteAsync(StdioFrameType.Data, id, chunk.Slice(sent, n), ct).ConfigureAwait(false);
                        sent += n;
                    }
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
