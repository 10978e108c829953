namespace SevAgent.Network;

/// <summary>
/// One route of the pod network through the NIC named <see cref="Device"/>. An empty
/// <see cref="Destination"/> is the default route; empty <see cref="Gateway"/> and
/// <see cref="Source"/> are absent; 0 for <see cref="Metric"/> and <see cref="Mtu"/> means unset.
/// </summary>
internal sealed record RouteSpec(
    bool Ipv6, byte[] Destination, uint PrefixLength, byte[] Gateway, string Device, uint Scope, uint Metric, byte[] Source, uint Mtu);
