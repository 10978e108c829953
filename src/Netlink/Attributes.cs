using System.Buffers.Binary;
using System.Text;

namespace Netlink;

/// <summary>
/// Reads a run of rtattr attributes (linux/rtnetlink.h RTA_OK/RTA_NEXT): each a 4-byte header
/// (length including the header, type; the top bits NLA_F_NESTED and NLA_F_NET_BYTEORDER are
/// masked off) and its value padded to 4 bytes. A length that runs past the buffer or is
/// shorter than the header is a malformed reply (<see cref="NetlinkException"/>), never an
/// out-of-range read.
/// </summary>
internal static class Attributes
{
    private const ushort TypeMask = 0x3FFF;

    /// <summary>Every attribute of <paramref name="buffer"/>, in order.</summary>
    public static List<(ushort Type, byte[] Value)> Parse(ReadOnlySpan<byte> buffer)
    {
        var list = new List<(ushort, byte[])>();
        var offset = 0;
        while (buffer.Length - offset >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(buffer[offset..]);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(buffer[(offset + 2)..]) & TypeMask);
            if (length < 4 || length > buffer.Length - offset)
            {
                throw new NetlinkException($"malformed netlink reply: an attribute (type {type}) of length {length} at offset {offset} runs past its {buffer.Length}-byte message");
            }

            list.Add((type, buffer.Slice(offset + 4, length - 4).ToArray()));
            offset += Align(length);
        }

        return list;
    }

    /// <summary>The value of the first attribute of <paramref name="type"/>, or null.</summary>
    public static byte[]? Find(List<(ushort Type, byte[] Value)> attributes, ushort type) =>
        attributes.FirstOrDefault(a => a.Type == type).Value is { } v && attributes.Any(a => a.Type == type) ? v : null;

    public static string? String(List<(ushort Type, byte[] Value)> attributes, ushort type)
    {
        var value = Find(attributes, type);
        if (value is null)
        {
            return null;
        }

        var end = Array.IndexOf(value, (byte)0);
        return Encoding.UTF8.GetString(value, 0, end < 0 ? value.Length : end);
    }

    public static uint? U32(List<(ushort Type, byte[] Value)> attributes, ushort type)
    {
        var value = Find(attributes, type);
        return value is { Length: >= 4 } ? BinaryPrimitives.ReadUInt32LittleEndian(value) : null;
    }

    public static int Align(int length) => (length + 3) & ~3;
}
