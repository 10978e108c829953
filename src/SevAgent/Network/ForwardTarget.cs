namespace SevAgent.Network;

/// <summary>
/// Where one port-forward goes: localhost:<see cref="Port"/> in the pod VM (::1 with
/// <see cref="Ipv6"/>), with the bytes the host's first message already carried.
/// </summary>
internal sealed record ForwardTarget(uint Port, bool Ipv6, ReadOnlyMemory<byte> FirstData);
