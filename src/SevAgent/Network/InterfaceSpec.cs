namespace SevAgent.Network;

/// <summary>
/// One NIC to configure, found by <see cref="HardwareAddress"/> and renamed to
/// <see cref="Name"/>; an <see cref="Mtu"/> of 0 keeps the NIC's. Unchecked: GuestNetwork
/// validates every field and names the one at fault.
/// </summary>
internal sealed record InterfaceSpec(string Name, byte[] HardwareAddress, uint Mtu, IReadOnlyList<AddressSpec> Addresses);
