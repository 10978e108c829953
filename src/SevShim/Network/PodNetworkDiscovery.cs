using System.Net.Sockets;
using Netlink;
using SevShim.Errors;

namespace SevShim.Network;

/// <summary>
/// Chooses, from what netlink lists in the pod's network namespace, the interfaces and routes
/// the pod VM carries (issue 12 items 1 and 6; CRI.md section 2 for Kata's rules, which these
/// follow): every link but loopback that has an address other than an IPv6 link-local one (the
/// kernel gives those to any link that is up, CNI did not choose them); its routes except the
/// kernel's own (<c>proto kernel</c>: subnet and link-local routes the guest kernel makes
/// itself when the address is added). A link of a kind tc cannot redirect into a tap (a
/// physical device, a tun/tap someone else owns, vhost-user) is refused, naming it: the pod is
/// never started with part of its network silently missing. Pure: unit-tested with lists.
/// </summary>
internal static class PodNetworkDiscovery
{
    /// <summary>The prefix of the taps the shim makes (never a CNI interface, skipped if listed again).</summary>
    public const string TapPrefix = "sevtap";

    // Link kinds (IFLA_INFO_KIND) whose traffic an ingress mirred redirect carries whole: the
    // virtual devices CNI plugins make (bridge's and ptp's veth, macvlan, ipvlan, vlan, overlay
    // tunnels). "tun" (a tap someone else reads) and kind-less devices (physical NICs) are not.
    private static readonly HashSet<string> CarriedKinds = new(StringComparer.Ordinal)
    {
        "veth", "macvlan", "macvtap", "ipvlan", "ipvtap", "vlan", "vxlan", "geneve",
    };

    // rtnetlink.h: RTPROT_KERNEL, and the IPv6 link-local scope of ifaddrmsg (RT_SCOPE_LINK).
    private const byte ProtocolKernel = 2;
    private const byte ScopeLink = 253;

    // The route tables the guest gets: main (254); local (255) is the kernel's.
    private const uint MainTable = 254;

    /// <summary>Builds the plan or refuses a link it cannot carry.</summary>
    public static PodNetworkPlan Choose(IReadOnlyList<LinkInfo> links, IReadOnlyList<AddressInfo> addresses, IReadOnlyList<RouteInfo> routes, string netnsPath)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(routes);
        var chosen = new List<PodInterface>();
        foreach (var link in links.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            if (link.IsLoopback || link.Name.StartsWith(TapPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var own = addresses.Where(a => a.InterfaceIndex == link.Index && !IsLinkLocalV6(a)).ToList();
            if (own.Count == 0)
            {
                continue;
            }

            if (link.Kind is null || !CarriedKinds.Contains(link.Kind))
            {
                var kind = link.Kind is null ? "no link kind (a physical device)" : $"kind \"{link.Kind}\"";
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: the pod's network namespace {netnsPath} has interface {link.Name} with {kind}, which a pod VM cannot carry " +
                    $"(it carries {string.Join(", ", CarriedKinds.Order(StringComparer.Ordinal))}): configure the CNI plugin to give the pod a veth, or run the pod with runc");
            }

            if (link.HardwareAddress.Length != 6)
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: interface {link.Name} in {netnsPath} has a {link.HardwareAddress.Length}-byte hardware address; a pod VM's NIC needs an Ethernet MAC (6 bytes)");
            }

            chosen.Add(new PodInterface(link.Name, link.Index, link.Kind, link.HardwareAddress, link.Mtu, own));
        }

        var indexes = chosen.Select(i => i.Index).ToHashSet();
        var carried = routes
            .Where(r => r.OutputInterfaceIndex is int index && indexes.Contains(index))
            .Where(r => r.Protocol != ProtocolKernel && (r.Table == 0 || r.Table == MainTable))
            .Where(r => !(r.Family == AddressFamily.InterNetworkV6 && r.Destination is { IsIPv6Multicast: true }))
            .OrderBy(r => r.Gateway is null ? 0 : 1)
            .ToList();
        return new PodNetworkPlan(chosen, carried);
    }

    private static bool IsLinkLocalV6(AddressInfo address) =>
        address.Address.AddressFamily == AddressFamily.InterNetworkV6 && (address.Address.IsIPv6LinkLocal || address.Scope == ScopeLink);
}
