namespace Ttrpc;

/// <summary>
/// Reads ttrpc frames from a byte stream. Not thread-safe: one read loop per connection owns it.
/// An oversized frame's payload is read into a small scratch buffer and dropped, never buffered
/// whole, so a peer cannot make us allocate more than the limit (ttrpc channel.go recv does the same).
/// </summary>
internal sealed class FrameReader
{
    private const int DiscardChunk = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxMessageSize;
    private readonly byte[] _header = new byte[FrameHeader.Size];
    private byte[]? _discard;

    /// <summary>Creates a reader; it does not own <paramref name="stream"/>.</summary>
    public FrameReader(Stream stream, int maxMessageSize)
    {
        _stream = stream;
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>
    /// Reads the next frame, or returns null when the stream ends cleanly between frames.
    /// </summary>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = await _stream.ReadAtLeastAsync(_header, FrameHeader.Size, throwOnEndOfStream: false, cancellationToken);
        if (got == 0)
        {
            return null;
        }

        if (got < FrameHeader.Size)
        {
            throw new EndOfStreamException($"ttrpc connection closed inside a frame header ({got} of {FrameHeader.Size} bytes)");
        }

        var header = FrameHeader.Read(_header);
        if (header.Length > (uint)_maxMessageSize)
        {
            await DiscardAsync(header.Length, cancellationToken);
            return new Frame(header, null);
        }

        var payload = header.Length == 0 ? [] : new byte[header.Length];
        try
        {
            await _stream.ReadExactlyAsync(payload, cancellationToken);
        }
        catch (EndOfStreamException ex)
        {
            throw new EndOfStreamException(
                $"ttrpc connection closed inside a frame payload (stream {header.StreamId}, {header.Length} bytes announced)", ex);
        }

        return new Frame(header, payload);
    }

    private async ValueTask DiscardAsync(uint length, CancellationToken cancellationToken)
    {
        _discard ??= new byte[DiscardChunk];
        long left = length;
        while (left > 0)
        {
            var chunk = (int)Math.Min(left, _discard.Length);
            var got = await _stream.ReadAsync(_discard.AsMemory(0, chunk), cancellationToken);
            if (got == 0)
            {
                throw new EndOfStreamException(
                    $"ttrpc connection closed inside an oversized frame ({length} bytes announced, {length - left} skipped)");
            }

            left -= got;
        }
    }
}
