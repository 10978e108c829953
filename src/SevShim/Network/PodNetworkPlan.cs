using Netlink;

namespace SevShim.Network;

/// <summary>
/// What the pod VM's network is made of (issue 12 item 1): CNI's interfaces in the pod's
/// network namespace and the routes through them that the guest must have. Empty when the pod
/// has no network namespace of its own or CNI put nothing in it but <c>lo</c> (then the guest
/// has only <c>lo</c>, as a runc container in such a namespace).
/// </summary>
internal sealed record PodNetworkPlan(IReadOnlyList<PodInterface> Interfaces, IReadOnlyList<RouteInfo> Routes)
{
    /// <summary>No interface: the guest gets only lo.</summary>
    public static PodNetworkPlan None { get; } = new([], []);

    /// <summary>True when there is nothing to wire.</summary>
    public bool IsEmpty => Interfaces.Count == 0;
}
