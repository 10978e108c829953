using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SevAgentProto;

/// <summary>
/// An AF_VSOCK address (Linux <c>struct sockaddr_vm</c>, include/uapi/linux/vm_sockets.h):
/// u16 family (40), u16 reserved, u32 port, u32 cid, u8 flags, u8[3] zero; 16 bytes, port and
/// cid in host byte order. .NET has no such type (dotnet/runtime#58327), and its SocketAddress
/// refuses unknown families, so the raw layout is written here and used by <see cref="Vsock"/>.
/// </summary>
public sealed class VsockEndPoint : EndPoint
{
    /// <summary>AF_VSOCK on Linux.</summary>
    public const int AfVsock = 40;

    /// <summary>Size of struct sockaddr_vm.</summary>
    public const int SockaddrSize = 16;

    /// <summary>VMADDR_CID_ANY: bind to any local CID.</summary>
    public const uint CidAny = uint.MaxValue;

    /// <summary>VMADDR_CID_HOST: the hypervisor's host.</summary>
    public const uint CidHost = 2;

    /// <summary>VMADDR_PORT_ANY.</summary>
    public const uint PortAny = uint.MaxValue;

    public VsockEndPoint(uint cid, uint port)
    {
        Cid = cid;
        Port = port;
    }

    /// <summary>The context id (the guest's cid on the host side, CidAny to listen).</summary>
    public uint Cid { get; }

    /// <summary>The port.</summary>
    public uint Port { get; }

    /// <inheritdoc/>
    public override AddressFamily AddressFamily => (AddressFamily)AfVsock;

    /// <summary>Writes struct sockaddr_vm into <paramref name="destination"/> (at least 16 bytes).</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < SockaddrSize)
        {
            throw new ArgumentException($"sockaddr_vm needs {SockaddrSize} bytes, got {destination.Length}", nameof(destination));
        }

        destination[..SockaddrSize].Clear();
        MemoryMarshal.Write(destination, (ushort)AfVsock);
        MemoryMarshal.Write(destination[4..], Port);
        MemoryMarshal.Write(destination[8..], Cid);
    }

    /// <summary>Reads struct sockaddr_vm; throws when the family is not AF_VSOCK.</summary>
    public static VsockEndPoint Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < 12)
        {
            throw new ArgumentException($"sockaddr_vm needs at least 12 bytes, got {source.Length}", nameof(source));
        }

        var family = MemoryMarshal.Read<ushort>(source);
        if (family != AfVsock)
        {
            throw new ArgumentException($"address family {family} is not AF_VSOCK ({AfVsock})", nameof(source));
        }

        return new VsockEndPoint(
            MemoryMarshal.Read<uint>(source[8..]),
            MemoryMarshal.Read<uint>(source[4..]));
    }

    /// <summary>
    /// A SocketAddress holding the same bytes. It is built as AF_UNSPEC (the only way past
    /// SocketAddress's family check) and then overwritten, so its Family property is not usable;
    /// pass its Buffer to the kernel.
    /// </summary>
    public override SocketAddress Serialize()
    {
        var address = new SocketAddress(AddressFamily.Unspecified, SockaddrSize);
        Write(address.Buffer.Span);
        return address;
    }

    /// <inheritdoc/>
    public override EndPoint Create(SocketAddress socketAddress)
    {
        ArgumentNullException.ThrowIfNull(socketAddress);
        return Read(socketAddress.Buffer.Span[..socketAddress.Size]);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is VsockEndPoint other && other.Cid == Cid && other.Port == Port;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Cid, Port);

    /// <inheritdoc/>
    public override string ToString() => $"vsock:{Cid}:{Port}";
}
