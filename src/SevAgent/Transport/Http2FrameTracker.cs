namespace SevAgent.Transport;

/// <summary>
/// Follows HTTP/2 frame boundaries in the host-to-guest byte stream of the virtio-serial link
/// (RFC 9113: a 24-byte client preface, then frames of a 9-byte header whose first 3 bytes are
/// the payload length). A new host connection that the guest did not see start (quick
/// reconnect, no hang-up observed) begins with "SEVAGENT-SYNC" (or, from a host without the
/// handshake, the preface "PRI * HTTP/2.0"): at a frame boundary a first byte 'S' or 'P' would
/// announce a payload of at least 0x500000 bytes, far above Kestrel's maximum frame size
/// (16 KiB), so it cannot be a frame header and marks the new connection.
/// </summary>
internal sealed class Http2FrameTracker
{
    private const int HeaderSize = 9;

    private int _prefaceRemaining = 24;
    private readonly byte[] _header = new byte[HeaderSize];
    private int _headerFilled;
    private long _payloadRemaining;

    /// <summary>
    /// Consumes <paramref name="chunk"/>; returns the offset at which a sync line starts at a
    /// frame boundary (the bytes before it belong to the old connection), or -1.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> chunk)
    {
        var i = 0;
        while (i < chunk.Length)
        {
            if (_prefaceRemaining > 0)
            {
                var take = Math.Min(_prefaceRemaining, chunk.Length - i);
                _prefaceRemaining -= take;
                i += take;
                continue;
            }

            if (_payloadRemaining > 0)
            {
                var take = (int)Math.Min(_payloadRemaining, chunk.Length - i);
                _payloadRemaining -= take;
                i += take;
                continue;
            }

            if (_headerFilled == 0 && chunk[i] is (byte)'S' or (byte)'P')
            {
                return i;
            }

            _header[_headerFilled++] = chunk[i++];
            if (_headerFilled == HeaderSize)
            {
                _payloadRemaining = (_header[0] << 16) | (_header[1] << 8) | _header[2];
                _headerFilled = 0;
            }
        }

        return -1;
    }
}
