
namespace SevAgentProto.Stdio;

/// <summary>
/// Writes whole frames to the stdio link, one at a time (frames of different streams never
/// interleave). Ownership: the session owns the stream; this only serialises writes to it.
/// </summary>
public sealed class StdioFrameWriter(Stream stream) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _header = new byte[StdioFrameHeader.Size];

    /// <summary>Writes one frame; the payload may be reused once this returns.</summary>
    public async Task WriteAsync(StdioFrameType type, uint streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            new StdioFrameHeader(type, streamId, payload.Length).Write(_header);
            await stream.WriteAsync(_header, CancellationToken.None).ConfigureAwait(false);
            if (payload.Length > 0)
            {
                // Never cancelled half-way: a torn frame would desynchronise the link.
                await stream.WriteAsync(payload, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A Credit frame granting <paramref name="bytes"/>.</summary>
    public Task CreditAsync(uint streamId, int bytes, CancellationToken cancellationToken)
    {
        var payload = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, bytes);
        return WriteAsync(StdioFrameType.Credit, streamId, payload, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();
}
