using System.Net;
using System.Net.Sockets;
using Netlink;
using SevShim.Errors;
using SevShim.Network;

namespace SevShim.Tests.Network;

public sealed class PodNetworkDiscoveryTests
{
    private const string Netns = "/var/run/netns/cni-1234";
    private static readonly byte[] Mac = [0x0a, 0x58, 0x0a, 0xfa, 0x00, 0x02];

    private static readonly LinkInfo Lo = new(1, "lo", null, new byte[6], 65536, true, true, 0x49);
    private static readonly LinkInfo Eth0 = new(3, "eth0", "veth", Mac, 1450, true, false, 0x1043);

    private static AddressInfo Addr(int index, string address, int prefix, byte scope = 0) => new(index, IPAddress.Parse(address), prefix, scope, 0);

    private static RouteInfo Route(string? destination, int prefix, string? gateway, int index, byte protocol = 3, AddressFamily family = AddressFamily.InterNetwork) =>
        new(family, destination is null ? null : IPAddress.Parse(destination), prefix, gateway is null ? null : IPAddress.Parse(gateway), index, null, 0, protocol, 1, 254, null, 0);

    [Fact]
    public void CarriesCnisVethWithItsAddressesAndNonKernelRoutesLinkRoutesFirst()
    {
        var plan = PodNetworkDiscovery.Choose(
            [Lo, Eth0],
            [Addr(1, "127.0.0.1", 8, 254), Addr(3, "10.250.0.2", 24), Addr(3, "fd00::2", 64), Addr(3, "fe80::858:aff:fefa:2", 64, 253)],
            [
                Route(null, 0, "10.250.0.1", 3),
                Route("10.250.0.0", 24, null, 3, protocol: 2),
                Route("10.96.0.0", 12, null, 3),
                Route("fe80::", 64, null, 3, protocol: 2, family: AddressFamily.InterNetworkV6),
                Route(null, 0, "fd00::1", 3, family: AddressFamily.InterNetworkV6),
            ],
            Netns);

        var nic = Assert.Single(plan.Interfaces);
        Assert.Equal("eth0", nic.Name);
        Assert.Equal("0a:58:0a:fa:00:02", nic.MacText);
        Assert.Equal(1450, nic.Mtu);
        Assert.Equal(["10.250.0.2/24", "fd00::2/64"], nic.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}"));
        Assert.Equal(3, plan.Routes.Count);
        Assert.Null(plan.Routes[0].Gateway);
        Assert.Equal("10.96.0.0", plan.Routes[0].Destination!.ToString());
        Assert.All(plan.Routes, r => Assert.NotEqual(2, r.Protocol));
    }

    [Fact]
    public void ANamespaceWithOnlyLoOrAddresslessLinksGivesNoInterface()
    {
        var idle = new LinkInfo(4, "eth1", "veth", Mac, 1500, true, false, 0);
        var plan = PodNetworkDiscovery.Choose([Lo, idle], [Addr(1, "127.0.0.1", 8, 254), Addr(4, "fe80::1", 64, 253)], [], Netns);
        Assert.True(plan.IsEmpty);
        Assert.Empty(plan.Routes);
    }

    [Fact]
    public void OurOwnTapsAreNeverCarried()
    {
        var tap = new LinkInfo(5, PodNetworkDiscovery.TapPrefix + "0", "tun", Mac, 1500, true, false, 0);
        var plan = PodNetworkDiscovery.Choose([Lo, tap, Eth0], [Addr(5, "10.9.9.9", 32), Addr(3, "10.250.0.2", 24)], [], Netns);
        Assert.Equal("eth0", Assert.Single(plan.Interfaces).Name);
    }

    [Theory]
    [InlineData(null, "no link kind (a physical device)")]
    [InlineData("dummy", "kind \"dummy\"")]
    [InlineData("tun", "kind \"tun\"")]
    public void AnInterfaceItCannotCarryIsRefusedByNameAndKind(string? kind, string described)
    {
        var odd = new LinkInfo(7, "net1", kind, Mac, 1500, true, false, 0);
        var e = Assert.Throws<ShimException>(() => PodNetworkDiscovery.Choose([Lo, Eth0, odd], [Addr(3, "10.250.0.2", 24), Addr(7, "192.168.5.2", 24)], [], Netns));
        Assert.Equal(ShimErrorKind.InvalidArgument, e.Kind);
        Assert.Contains($"interface net1 with {described}", e.Message, StringComparison.Ordinal);
        Assert.Contains(Netns, e.Message, StringComparison.Ordinal);
        Assert.Contains("veth", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InterfacesAreOrderedByNameAndRoutesOfOtherLinksAreLeftOut()
    {
        var net1 = new LinkInfo(9, "net1", "macvlan", [2, 0, 0, 0, 0, 9], 1500, true, false, 0);
        var plan = PodNetworkDiscovery.Choose(
            [Lo, net1, Eth0],
            [Addr(9, "192.168.5.2", 24), Addr(3, "10.250.0.2", 24)],
            [Route(null, 0, "10.250.0.1", 3), Route("172.16.0.0", 16, "10.1.1.1", 42)],
            Netns);
        Assert.Equal(["eth0", "net1"], plan.Interfaces.Select(i => i.Name));
        Assert.Single(plan.Routes);
    }
}
