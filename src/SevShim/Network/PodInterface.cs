using Netlink;

namespace SevShim.Network;

/// <summary>
/// One interface CNI made in the pod's network namespace, as the pod VM gets it: the guest NIC
/// takes its <see cref="Name"/>, <see cref="HardwareAddress"/> (so what a CNI bridge or firewall
/// learnt about the pod still holds), <see cref="Mtu"/> and <see cref="Addresses"/>.
/// <see cref="Index"/> is its ifindex in the pod's namespace (host side only).
/// </summary>
internal sealed record PodInterface(string Name, int Index, string Kind, byte[] HardwareAddress, int Mtu, IReadOnlyList<AddressInfo> Addresses)
{
    /// <summary>The MAC as QEMU and logs write it (aa:bb:cc:dd:ee:ff).</summary>
    public string MacText => string.Join(':', HardwareAddress.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
