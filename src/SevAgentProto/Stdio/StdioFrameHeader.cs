using System.Buffers.Binary;

namespace SevAgentProto.Stdio;

/// <summary>
/// A stdio frame's 9-byte header: type (1 byte), stream id (u32), payload length (u32), both
/// big-endian. Stream ids are chosen by the host, one per opened stream, never reused on a link.
/// </summary>
/// <param name="Type">What the frame is.</param>
/// <param name="Stream">The stream it belongs to.</param>
/// <param name="Length">The payload's length in bytes.</param>
public readonly record struct StdioFrameHeader(StdioFrameType Type, uint Stream, int Length)
{
    /// <summary>Header bytes.</summary>
    public const int Size = 9;

    /// <summary>
    /// Largest payload. Output chunks are at most 256 KiB (the agent's pipe read); a larger
    /// length can only be a corrupt or foreign byte stream.
    /// </summary>
    public const int MaxPayload = 256 * 1024;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], Stream);
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], Length);
    }

    /// <summary>Reads a header; null when it cannot be one (unknown type, length out of range).</summary>
    public static StdioFrameHeader? TryRead(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size || source[0] < (byte)StdioFrameType.OpenOutput || source[0] > (byte)StdioFrameType.Cancel)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(source[5..]);
        return length is < 0 or > MaxPayload ? null : new StdioFrameHeader((StdioFrameType)source[0], BinaryPrimitives.ReadUInt32BigEndian(source[1..]), length);
    }

    /// <summary>The payload length announced by a header's bytes, without checking the rest (the guest's resync tracker).</summary>
    public static long PayloadLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
}
