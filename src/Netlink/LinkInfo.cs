namespace Netlink;

/// <summary>
/// A network interface as RTM_GETLINK describes it. <see cref="Kind"/> is IFLA_INFO_KIND
/// ("veth", "tun", "bridge", "macvlan", ...), null for a device without one (a physical NIC,
/// loopback). <see cref="Flags"/> are the IFF_* flags (linux/if.h).
/// </summary>
public sealed record LinkInfo(int Index, string Name, string? Kind, byte[] HardwareAddress, int Mtu, bool IsUp, bool IsLoopback, int Flags);
