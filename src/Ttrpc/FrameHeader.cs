using System.Buffers.Binary;

namespace Ttrpc;

/// <summary>
/// The 10-byte ttrpc frame header (SHIM-PROTOCOL.md 1.1): payload length u32, stream id u32,
/// message type u8, flags u8; integers big-endian.
/// </summary>
internal readonly record struct FrameHeader(uint Length, uint StreamId, byte Type, byte Flags)
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 10;

    /// <summary>Decodes a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32BigEndian(source),
        BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
        source[8],
        source[9]);

    /// <summary>Encodes this header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        destination[8] = Type;
        destination[9] = Flags;
    }
}
