using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// One AF_NETLINK socket and its request/reply exchange (linux/netlink.h): every request asks
/// for an ack; replies are matched by sequence number; a dump ends at NLMSG_DONE; NLMSG_ERROR
/// with error 0 is the ack, otherwise its errno (and the kernel's extended-ack text) becomes a
/// <see cref="NetlinkException"/>. The socket belongs to the network namespace of the thread
/// that opened it, for its whole life. Not thread-safe: one user at a time.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLM_F_REQUEST = 0x1;
    public const ushort NLM_F_MULTI = 0x2;
    public const ushort NLM_F_ACK = 0x4;
    public const ushort NLM_F_DUMP = 0x300;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;

    // In an NLMSG_ERROR header: extended-ack attributes follow (NLM_F_ACK_TLVS), and the request
    // was not echoed back (NLM_F_CAPPED, set with NETLINK_CAP_ACK).
    private const ushort NLM_F_CAPPED = 0x100;
    private const ushort NLM_F_ACK_TLVS = 0x200;
    private const ushort NLMSGERR_ATTR_MSG = 1;

    // Owns the socket; each exchange holds a lease on it (one thread at a time uses a socket).
    private readonly SafeFileHandle _handle;
    private uint _sequence = (uint)Environment.TickCount;
    private byte[] _buffer = new byte[32 * 1024];

    private NetlinkSocket(SafeFileHandle handle) => _handle = handle;

    public static NetlinkSocket Open(int protocol)
    {
        var handle = Posix.Own(Posix.socket(Posix.AF_NETLINK, Posix.SOCK_RAW | Posix.SOCK_CLOEXEC, protocol));
        if (handle.IsInvalid)
        {
            var errno = NetlinkNative.LastErrno();
            throw new NetlinkException($"opening a netlink socket: {NetlinkException.Describe(errno)}", errno);
        }

        var socket = new NetlinkSocket(handle);
        try
        {
            using var fd = FdLease.Of(handle);
            // sockaddr_nl: family, pad, nl_pid 0 (the kernel assigns one), nl_groups 0.
            Span<byte> address = stackalloc byte[12];
            address.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(address, Posix.AF_NETLINK);
            fixed (byte* a = address)
            {
                Check(Posix.bind(fd.Value, a, (uint)address.Length), "binding a netlink socket");
            }

            // Best effort: the kernel's own words in errors, and no echo of the request in them.
            var on = 1;
            _ = NetlinkNative.setsockopt(fd.Value, NetlinkNative.SOL_NETLINK, NetlinkNative.NETLINK_EXT_ACK, &on, sizeof(int));
            _ = NetlinkNative.setsockopt(fd.Value, NetlinkNative.SOL_NETLINK, NetlinkNative.NETLINK_CAP_ACK, &on, sizeof(int));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request and waits for its ack; <paramref name="what"/> names it in errors.</summary>
    public void Request(MessageBuilder message, string what) => Exchange(message, what, dump: false);

    /// <summary>Sends a dump request; returns each reply message's (type, payload after nlmsghdr).</summary>
    public List<(ushort Type, byte[] Payload)> Dump(MessageBuilder message, string what) => Exchange(message, what, dump: true);

    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Splits one datagram into messages (NLMSG_OK/NLMSG_NEXT). Internal for the codec tests.
    /// </summary>
    internal static List<(ushort Type, ushort Flags, uint Sequence, byte[] Payload)> Split(ReadOnlySpan<byte> datagram)
    {
        var messages = new List<(ushort, ushort, uint, byte[])>();
        var offset = 0;
        while (datagram.Length - offset >= MessageBuilder.HeaderSize)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(datagram[offset..]);
            if (length < MessageBuilder.HeaderSize || length > datagram.Length - offset)
            {
                throw new NetlinkException($"malformed netlink reply: a message of length {length} at offset {offset} of a {datagram.Length}-byte datagram");
            }

            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[(offset + 4)..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(datagram[(offset + 6)..]);
            var sequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[(offset + 8)..]);
            messages.Add((type, flags, sequence, datagram.Slice(offset + MessageBuilder.HeaderSize, (int)length - MessageBuilder.HeaderSize).ToArray()));
            offset += Attributes.Align((int)length);
        }

        return messages;
    }

    /// <summary>
    /// The errno of an NLMSG_ERROR payload (0: an ack) and the kernel's extended-ack message.
    /// Internal for the codec tests.
    /// </summary>
    internal static (int Errno, string? Message) ParseError(ReadOnlySpan<byte> payload, ushort flags)
    {
        if (payload.Length < 4 + MessageBuilder.HeaderSize)
        {
            throw new NetlinkException($"malformed netlink reply: an error message of {payload.Length} bytes");
        }

        var errno = -BinaryPrimitives.ReadInt32LittleEndian(payload);
        string? text = null;
        if ((flags & NLM_F_ACK_TLVS) != 0)
        {
            // The echoed request: its header only when capped, else the whole message.
            var echoed = (flags & NLM_F_CAPPED) != 0 ? MessageBuilder.HeaderSize : (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
            var start = 4 + Attributes.Align(echoed);
            if (start <= payload.Length)
            {
                text = Attributes.String(Attributes.Parse(payload[start..]), NLMSGERR_ATTR_MSG);
            }
        }

        return (errno, text);
    }

    private List<(ushort Type, byte[] Payload)> Exchange(MessageBuilder message, string what, bool dump)
    {
        using var fd = FdLease.Of(_handle);
        var sequence = ++_sequence;
        var bytes = message.Build(sequence);
        fixed (byte* b = bytes)
        {
            nint sent;
            do
            {
                sent = NetlinkNative.send(fd.Value, b, bytes.Length, 0);
            }
            while (sent < 0 && NetlinkNative.LastErrno() == Posix.EINTR);
            Check(sent < 0 ? -1 : 0, what);
        }

        var replies = new List<(ushort, byte[])>();
        while (true)
        {
            foreach (var (type, flags, seq, payload) in Split(Receive(what)))
            {
                if (seq != sequence)
                {
                    continue; // a late reply to an earlier request that gave up
                }

                switch (type)
                {
                    case NLMSG_ERROR:
                        var (errno, text) = ParseError(payload, flags);
                        if (errno == 0)
                        {
                            return replies;
                        }

                        throw new NetlinkException($"{what}: {NetlinkException.Describe(errno)}{(text is null ? "" : ": " + text)}", errno);
                    case NLMSG_DONE:
                        // A dump's end; its ack (asked for) may follow, or not on older kernels.
                        if (dump)
                        {
                            return replies;
                        }

                        break;
                    default:
                        replies.Add((type, payload));
                        break;
                }
            }
        }
    }

    private byte[] Receive(string what)
    {
        using var fd = FdLease.Of(_handle);
        while (true)
        {
            nint length;
            fixed (byte* b = _buffer)
            {
                // Peek with MSG_TRUNC: the datagram's real length, so a big dump part is never cut.
                length = NetlinkNative.recv(fd.Value, b, _buffer.Length, NetlinkNative.MSG_PEEK | NetlinkNative.MSG_TRUNC);
            }

            if (length < 0)
            {
                if (NetlinkNative.LastErrno() == Posix.EINTR)
                {
                    continue;
                }

                Check(-1, what);
            }

            if (length > _buffer.Length)
            {
                _buffer = new byte[length];
            }

            fixed (byte* b = _buffer)
            {
                length = NetlinkNative.recv(fd.Value, b, _buffer.Length, 0);
            }

            if (length < 0)
            {
                if (NetlinkNative.LastErrno() == Posix.EINTR)
                {
                    continue;
                }

                Check(-1, what);
            }

            return _buffer.AsSpan(0, (int)length).ToArray();
        }
    }

    private static void Check(int result, string what)
    {
        if (result < 0)
        {
            var errno = NetlinkNative.LastErrno();
            throw new NetlinkException($"{what}: {NetlinkException.Describe(errno)}", errno);
        }
    }
}
