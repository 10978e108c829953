using System.Buffers.Binary;
using System.Text;

namespace Netlink;

/// <summary>
/// Builds one netlink request (linux/netlink.h): the 16-byte nlmsghdr, the family's fixed header
/// (ifinfomsg, ifaddrmsg, rtmsg, tcmsg: written by the caller as raw bytes) and rtattr
/// attributes, each padded to 4 bytes (NLA_ALIGNTO), nests closed by <see cref="EndNest"/>.
/// Host byte order throughout, as netlink is.
/// </summary>
internal sealed class MessageBuilder
{
    public const int HeaderSize = 16;
    private readonly List<byte> _bytes = new(256);
    private readonly Stack<int> _nests = new();

    public MessageBuilder(ushort type, ushort flags)
    {
        _bytes.AddRange(new byte[HeaderSize]);
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, type);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], flags);
        for (var i = 0; i < 4; i++)
        {
            _bytes[4 + i] = header[i];
        }
    }

    /// <summary>Appends the family header (or any fixed payload), padded.</summary>
    public MessageBuilder Fixed(ReadOnlySpan<byte> payload)
    {
        _bytes.AddRange(payload.ToArray());
        Pad();
        return this;
    }

    public MessageBuilder Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, checked((ushort)(4 + value.Length)));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
        _bytes.AddRange(header);
        _bytes.AddRange(value.ToArray());
        Pad();
        return this;
    }

    public MessageBuilder U32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Attribute(type, b);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, TCA_KIND).</summary>
    public MessageBuilder String(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return Attribute(type, bytes);
    }

    /// <summary>Opens a nested attribute (NLA_F_NESTED is not set: rtnetlink's tc parsers do not require it).</summary>
    public MessageBuilder BeginNest(ushort type)
    {
        _nests.Push(_bytes.Count);
        _bytes.AddRange(new byte[4]);
        BinaryPrimitives.WriteUInt16LittleEndian(CollectionsMarshalSpan(_nests.Peek() + 2), type);
        return this;
    }

    public MessageBuilder EndNest()
    {
        var start = _nests.Pop();
        BinaryPrimitives.WriteUInt16LittleEndian(CollectionsMarshalSpan(start), checked((ushort)(_bytes.Count - start)));
        return this;
    }

    /// <summary>The finished message with its length and <paramref name="sequence"/> filled in.</summary>
    public byte[] Build(uint sequence)
    {
        if (_nests.Count != 0)
        {
            throw new InvalidOperationException("a nested attribute was not closed");
        }

        var message = _bytes.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
        return message;
    }

    private void Pad()
    {
        while (_bytes.Count % 4 != 0)
        {
            _bytes.Add(0);
        }
    }

    private Span<byte> CollectionsMarshalSpan(int offset) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes)[offset..];
}
