namespace SevShim.Agent;

/// <summary>A TCP port the guest accepts connections on at a wildcard or loopback address (tcp6 when <see cref="Ipv6"/>).</summary>
internal readonly record struct GuestListener(uint Port, bool Ipv6);
