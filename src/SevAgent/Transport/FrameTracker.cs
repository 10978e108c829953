namespace SevAgent.Transport;

/// <summary>
/// Follows frame boundaries in the host-to-guest byte stream of a virtio-serial link, to find a
/// new host connection that the guest did not see start (quick reconnect, no hang-up observed):
/// it begins with "SEVAGENT-SYNC" (or, on the gRPC link from a host without the handshake, the
/// HTTP/2 preface "PRI * HTTP/2.0"). At a frame boundary a first byte 'S' or 'P' cannot begin a
/// frame of either link, so it marks the new connection:
/// <list type="bullet">
/// <item>gRPC link (<see cref="Http2"/>, RFC 9113): a 24-byte client preface, then frames of a
/// 9-byte header whose first 3 bytes are the payload length; 'S' or 'P' there would announce at
/// least 0x500000 bytes, far above Kestrel's maximum frame size (16 KiB);</item>
/// <item>stdio link (<see cref="Stdio"/>, SevAgentProto.Stdio): 9-byte headers whose first byte
/// is the frame type, every type below 0x20, and bytes 5 to 8 the payload length.</item>
/// </list>
/// </summary>
internal sealed class FrameTracker
{
    private const int HeaderSize = 9;

    private readonly int _lengthOffset;
    private readonly int _lengthBytes;
    private readonly byte[] _header = new byte[HeaderSize];
    private int _prefaceRemaining;
    private int _headerFilled;
    private long _payloadRemaining;

    private FrameTracker(int preface, int lengthOffset, int lengthBytes)
    {
        _prefaceRemaining = preface;
        _lengthOffset = lengthOffset;
        _lengthBytes = lengthBytes;
    }

    /// <summary>The gRPC link: HTTP/2 with prior knowledge.</summary>
    public static FrameTracker Http2() => new(24, 0, 3);

    /// <summary>The stdio link's frames.</summary>
    public static FrameTracker Stdio() => new(0, 5, 4);

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
                long length = 0;
                for (var b = 0; b < _lengthBytes; b++)
                {
                    length = (length << 8) | _header[_lengthOffset + b];
                }

                _payloadRemaining = length;
                _headerFilled = 0;
            }
        }

        return -1;
    }
}
