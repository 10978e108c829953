namespace SevAgent.Network;

/// <summary>An address of a NIC as the host sent it: 4 or 16 bytes (checked by GuestNetwork) and a prefix length.</summary>
internal sealed record AddressSpec(byte[] Address, uint PrefixLength);
