using Netlink;

namespace SevShim.Network;

/// <summary>
/// Removes what a shim that was killed (or whose QEMU was) left in a pod's network namespace:
/// the taps it named <see cref="PodNetworkDiscovery.TapPrefix"/>N and the ingress qdiscs whose
/// redirects point at them (on CNI's interfaces). Found by looking, not from a record, so it
/// works whatever the dead shim managed to write. Used by the <c>delete</c> verb (issue 12
/// item 4) for the pod's sandbox container only, after its daemon is gone.
/// </summary>
internal static class StalePodNetwork
{
    /// <summary>Cleans <paramref name="netnsPath"/>; returns how many taps it removed.</summary>
    public static Task<int> RemoveAsync(string netnsPath, CancellationToken cancellationToken) =>
        PodNetwork.InNamespaceAsync(netnsPath, "removing a dead pod's network", Remove, cancellationToken);

    private static int Remove()
    {
        using var netlink = RouteNetlink.Open();
        var links = netlink.GetLinks();
        var taps = links.Where(l => l.Kind == "tun" && l.Name.StartsWith(PodNetworkDiscovery.TapPrefix, StringComparison.Ordinal))
            .Select(l => l.Index)
            .ToHashSet();
        var present = links.Select(l => l.Index).ToHashSet();

        // A redirect to one of our taps, or to a link that is gone: a tap without persistence
        // vanishes with the last fd, so after QEMU and the shim were both killed only the
        // dangling redirect on CNI's interface is left.
        foreach (var link in links.Where(l => !taps.Contains(l.Index)))
        {
            if (netlink.GetRedirectTargets(link.Index).Any(t => taps.Contains(t) || !present.Contains(t)))
            {
                netlink.DeleteIngressQdisc(link.Index);
            }
        }

        foreach (var tap in taps)
        {
            netlink.DeleteIngressQdisc(tap);
            netlink.DeleteLink(tap);
        }

        return taps.Count;
    }
}
