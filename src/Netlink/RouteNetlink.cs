using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// A NETLINK_ROUTE socket (links, addresses, routes; tc qdiscs and filters in RouteNetlink.Tc.cs) in the network namespace of the thread that opened it. Every change is acked or throws
/// <see cref="NetlinkException"/> naming the operation and the interface. Not thread-safe.
/// </summary>
public sealed partial class RouteNetlink : IDisposable
{
    private const int IfNameSize = 16;
    private readonly NetlinkSocket _socket;

    private RouteNetlink(NetlinkSocket socket) => _socket = socket;

    public static RouteNetlink Open() => new(NetlinkSocket.Open(NetlinkNative.NETLINK_ROUTE));

    public IReadOnlyList<LinkInfo> GetLinks()
    {
        var request = new MessageBuilder(Rtnl.RTM_GETLINK, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP).Fixed(IfInfo(0, 0, 0));
        var links = new List<LinkInfo>();
        foreach (var (type, payload) in _socket.Dump(request, "listing the links"))
        {
            if (type != Rtnl.RTM_NEWLINK || payload.Length < 16)
            {
                continue;
            }

            var index = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(4));
            var flags = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(8));
            var attributes = Attributes.Parse(payload.AsSpan(16));
            string? kind = null;
            if (Attributes.Find(attributes, Rtnl.IFLA_LINKINFO) is { } info)
            {
                kind = Attributes.String(Attributes.Parse(info), Rtnl.IFLA_INFO_KIND);
            }

            links.Add(new LinkInfo(
                index,
                Attributes.String(attributes, Rtnl.IFLA_IFNAME) ?? string.Empty,
                kind,
                Attributes.Find(attributes, Rtnl.IFLA_ADDRESS) ?? [],
                (int)(Attributes.U32(attributes, Rtnl.IFLA_MTU) ?? 0),
                (flags & Rtnl.IFF_UP) != 0,
                (flags & Rtnl.IFF_LOOPBACK) != 0,
                flags));
        }

        return links;
    }

    public IReadOnlyList<AddressInfo> GetAddresses()
    {
        var request = new MessageBuilder(Rtnl.RTM_GETADDR, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP).Fixed(new byte[8]);
        var addresses = new List<AddressInfo>();
        foreach (var (type, payload) in _socket.Dump(request, "listing the addresses"))
        {
            if (type != Rtnl.RTM_NEWADDR || payload.Length < 8)
            {
                continue;
            }

            var attributes = Attributes.Parse(payload.AsSpan(8));
            // IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer's on point-to-point links).
            var raw = Attributes.Find(attributes, Rtnl.IFA_LOCAL) ?? Attributes.Find(attributes, Rtnl.IFA_ADDRESS);
            if (raw is not { Length: 4 or 16 })
            {
                continue;
            }

            var flags = (int)(Attributes.U32(attributes, Rtnl.IFA_FLAGS) ?? payload[2]);
            addresses.Add(new AddressInfo(BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(4)), new IPAddress(raw), payload[1], payload[3], flags));
        }

        return addresses;
    }

    public IReadOnlyList<RouteInfo> GetRoutes()
    {
        var request = new MessageBuilder(Rtnl.RTM_GETROUTE, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP).Fixed(new byte[12]);
        var routes = new List<RouteInfo>();
        foreach (var (type, payload) in _socket.Dump(request, "listing the routes"))
        {
            if (type != Rtnl.RTM_NEWROUTE || payload.Length < 12)
            {
                continue;
            }

            var attributes = Attributes.Parse(payload.AsSpan(12));
            var table = Attributes.U32(attributes, Rtnl.RTA_TABLE) ?? payload[4];
            var routeType = payload[7];
            if (table != Rtnl.RT_TABLE_MAIN || routeType != Rtnl.RTN_UNICAST)
            {
                continue;
            }

            var family = payload[0] == Rtnl.AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            var mtu = 0;
            if (Attributes.Find(attributes, Rtnl.RTA_METRICS) is { } metrics)
            {
                mtu = (int)(Attributes.U32(Attributes.Parse(metrics), Rtnl.RTAX_MTU) ?? 0);
            }

            routes.Add(new RouteInfo(
                family,
                Address(Attributes.Find(attributes, Rtnl.RTA_DST)),
                payload[1],
                Address(Attributes.Find(attributes, Rtnl.RTA_GATEWAY)),
                Attributes.U32(attributes, Rtnl.RTA_OIF) is { } oif ? (int)oif : null,
                Address(Attributes.Find(attributes, Rtnl.RTA_PREFSRC)),
                payload[6],
                payload[5],
                routeType,
                table,
                Attributes.U32(attributes, Rtnl.RTA_PRIORITY),
                mtu));
        }

        return routes;
    }

    public void SetLinkUp(int index, bool up) =>
        Change($"setting link {index} {(up ? "up" : "down")}", IfInfo(index, up ? Rtnl.IFF_UP : 0, Rtnl.IFF_UP), _ => { });

    public void SetLinkMtu(int index, int mtu) =>
        Change($"setting the MTU of link {index} to {mtu}", IfInfo(index, 0, 0), m => m.U32(Rtnl.IFLA_MTU, (uint)mtu));

    public void SetLinkName(int index, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) >= IfNameSize || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"\"{name}\" is not a valid interface name (1 to 15 bytes, no '/' or white space)", nameof(name));
        }

        Change($"renaming link {index} to {name}", IfInfo(index, 0, 0), m => m.String(Rtnl.IFLA_IFNAME, name));
    }

    public void SetLinkHardwareAddress(int index, byte[] mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        Change($"setting the hardware address of link {index}", IfInfo(index, 0, 0), m => m.Attribute(Rtnl.IFLA_ADDRESS, mac));
    }

    public void DeleteLink(int index)
    {
        try
        {
            _socket.Request(new MessageBuilder(Rtnl.RTM_DELLINK, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK).Fixed(IfInfo(index, 0, 0)), $"deleting link {index}");
        }
        catch (NetlinkException e) when (e.Errno == Posix.ENODEV)
        {
            // Already gone.
        }
    }

    public void AddAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        Span<byte> ifaddr = stackalloc byte[8];
        ifaddr.Clear();
        ifaddr[0] = v6 ? Rtnl.AF_INET6 : Rtnl.AF_INET;
        ifaddr[1] = (byte)prefixLength;
        ifaddr[2] = v6 ? (byte)Rtnl.IFA_F_NODAD : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(ifaddr[4..], index);
        var message = new MessageBuilder(Rtnl.RTM_NEWADDR, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK | NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL)
            .Fixed(ifaddr)
            .Attribute(Rtnl.IFA_LOCAL, bytes)
            .Attribute(Rtnl.IFA_ADDRESS, bytes);
        if (v6)
        {
            // Usable at once: no duplicate address detection delay before the first container.
            message.U32(Rtnl.IFA_FLAGS, Rtnl.IFA_F_NODAD);
        }

        RequestTolerating(message, $"adding {address}/{prefixLength} to link {index}", Posix.EEXIST);
    }

    public void AddRoute(RouteInfo route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var v6 = route.Family == AddressFamily.InterNetworkV6;
        Span<byte> rtmsg = stackalloc byte[12];
        rtmsg.Clear();
        rtmsg[0] = v6 ? Rtnl.AF_INET6 : Rtnl.AF_INET;
        rtmsg[1] = (byte)route.PrefixLength;
        rtmsg[4] = (byte)(route.Table is 0 or > 255 ? Rtnl.RT_TABLE_MAIN : route.Table);
        rtmsg[5] = route.Protocol == 0 ? Rtnl.RTPROT_BOOT : route.Protocol;
        // A route without a gateway is on the link (iproute2's default for one, which IPv4 needs).
        rtmsg[6] = route.Scope != 0 || v6 ? route.Scope : route.Gateway is null ? Rtnl.RT_SCOPE_LINK : Rtnl.RT_SCOPE_UNIVERSE;
        rtmsg[7] = route.Type == 0 ? Rtnl.RTN_UNICAST : route.Type;
        var message = new MessageBuilder(Rtnl.RTM_NEWROUTE, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK | NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL).Fixed(rtmsg);
        if (route.Table > 255)
        {
            message.U32(Rtnl.RTA_TABLE, route.Table);
        }

        if (route.Destination is not null)
        {
            message.Attribute(Rtnl.RTA_DST, route.Destination.GetAddressBytes());
        }

        if (route.Gateway is not null)
        {
            message.Attribute(Rtnl.RTA_GATEWAY, route.Gateway.GetAddressBytes());
        }

        if (route.OutputInterfaceIndex is int oif)
        {
            message.U32(Rtnl.RTA_OIF, (uint)oif);
        }

        if (route.PreferredSource is not null)
        {
            message.Attribute(Rtnl.RTA_PREFSRC, route.PreferredSource.GetAddressBytes());
        }

        if (route.Metric is uint metric)
        {
            message.U32(Rtnl.RTA_PRIORITY, metric);
        }

        if (route.Mtu > 0)
        {
            message.BeginNest(Rtnl.RTA_METRICS).U32(Rtnl.RTAX_MTU, (uint)route.Mtu).EndNest();
        }

        var to = route.Destination is null ? "default" : $"{route.Destination}/{route.PrefixLength}";
        RequestTolerating(message, $"adding the route to {to}{(route.Gateway is null ? "" : " via " + route.Gateway)}", Posix.EEXIST);
    }

    public void Dispose() => _socket.Dispose();

    // ifinfomsg: family, pad, type, index, flags, change.
    private static byte[] IfInfo(int index, int flags, int change)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), index);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), flags);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), change);
        return b;
    }

    private static IPAddress? Address(byte[]? raw) => raw is { Length: 4 or 16 } ? new IPAddress(raw) : null;

    private void Change(string what, byte[] ifinfo, Action<MessageBuilder> attributes)
    {
        var message = new MessageBuilder(Rtnl.RTM_NEWLINK, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK).Fixed(ifinfo);
        attributes(message);
        _socket.Request(message, what);
    }

    private void RequestTolerating(MessageBuilder message, string what, int tolerated)
    {
        try
        {
            _socket.Request(message, what);
        }
        catch (NetlinkException e) when (e.Errno == tolerated)
        {
        }
    }
}
