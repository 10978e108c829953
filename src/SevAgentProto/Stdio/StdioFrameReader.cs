namespace SevAgentProto.Stdio;

/// <summary>
/// Reads frame headers from the stdio link. Ownership: the caller owns the stream and reads
/// each payload itself (into a buffer of its choice) before the next header.
/// </summary>
public sealed class StdioFrameReader(Stream stream)
{
    private readonly byte[] _header = new byte[StdioFrameHeader.Size];

    /// <summary>The next header; null at the link's clean end (EOF between frames).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a frame header (or the link ended inside one).</exception>
    public async ValueTask<StdioFrameHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < _header.Length)
        {
            var n = await stream.ReadAsync(_header.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return filled == 0 ? null : throw new InvalidDataException("the stdio link ended inside a frame header");
            }

            filled += n;
        }

        return StdioFrameHeader.TryRead(_header)
            ?? throw new InvalidDataException($"not a stdio frame header: {Convert.ToHexString(_header)} (type 1 to 7 and a payload of at most {StdioFrameHeader.MaxPayload} bytes)");
    }

    /// <summary>Reads exactly <paramref name="payload"/>'s length.</summary>
    /// <exception cref="EndOfStreamException">The link ended inside the payload.</exception>
    public ValueTask ReadPayloadAsync(Memory<byte> payload, CancellationToken cancellationToken) =>
        stream.ReadExactlyAsync(payload, cancellationToken);
}
