using System.Net;
using System.Net.Sockets;
using TestSupport;

namespace Netlink.ComponentTests;

/// <summary>
/// rtnetlink, tc and tun against the real kernel, each test in a network namespace of its own
/// (root and iproute2 needed; iproute2 only makes the namespace and reads the results).
/// </summary>
public sealed class RouteNetlinkComponentTests : IDisposable
{
    private readonly NetnsScratch _ns = new();

    public RouteNetlinkComponentTests()
    {
        ToolRunner.Ip("-n", _ns.Name, "link", "add", "va", "address", "0a:58:0a:fa:00:09", "mtu", "1450", "type", "veth", "peer", "name", "vb");
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task Links_are_listed_with_kind_mac_and_mtu()
    {
        var links = await _ns.RunAsync(n => n.GetLinks());
        var va = Assert.Single(links, l => l.Name == "va");
        Assert.Equal("veth", va.Kind);
        Assert.Equal([0x0a, 0x58, 0x0a, 0xfa, 0x00, 0x09], va.HardwareAddress);
        Assert.Equal(1450, va.Mtu);
        Assert.False(va.IsUp);
        var lo = Assert.Single(links, l => l.Name == "lo");
        Assert.True(lo.IsLoopback);
        Assert.Null(lo.Kind);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task Link_changes_show_in_ip_link()
    {
        await _ns.RunAsync(n =>
        {
            var va = n.GetLinks().Single(l => l.Name == "va");
            n.SetLinkName(va.Index, "eth0");
            n.SetLinkMtu(va.Index, 1400);
            n.SetLinkHardwareAddress(va.Index, [0x02, 0, 0, 0, 0, 0x33]);
            n.SetLinkUp(va.Index, true);
            return true;
        });
        var link = ToolRunner.Ip("-n", _ns.Name, "-o", "link", "show", "dev", "eth0");
        Assert.Contains(" mtu 1400 ", link, StringComparison.Ordinal);
        Assert.Contains("link/ether 02:00:00:00:00:33", link, StringComparison.Ordinal);
        Assert.Contains(",UP", link, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _ns.RunAsync(n => { n.SetLinkName(1, "a-name-far-too-long"); return true; }).GetAwaiter().GetResult());
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task Addresses_and_routes_are_added_and_listed_in_both_families()
    {
        var (addresses, routes) = await _ns.RunAsync(n =>
        {
            var va = n.GetLinks().Single(l => l.Name == "va").Index;
            n.SetLinkUp(va, true);
            n.AddAddress(va, IPAddress.Parse("10.250.0.9"), 24);
            n.AddAddress(va, IPAddress.Parse("10.250.0.9"), 24); // EEXIST is fine
            n.AddAddress(va, IPAddress.Parse("fd00::9"), 64);
            n.AddRoute(new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("10.96.0.0"), 12, null, va, null, 0, 0, 0, 0, null, 0));
            n.AddRoute(new RouteInfo(AddressFamily.InterNetwork, null, 0, IPAddress.Parse("10.250.0.1"), va, null, 0, 0, 0, 0, 100, 1300));
            n.AddRoute(new RouteInfo(AddressFamily.InterNetworkV6, null, 0, IPAddress.Parse("fd00::1"), va, null, 0, 0, 0, 0, null, 0));
            return (n.GetAddresses(), n.GetRoutes());
        });

        Assert.Contains(addresses, a => a.Address.Equals(IPAddress.Parse("10.250.0.9")) && a.PrefixLength == 24);
        Assert.Contains(addresses, a => a.Address.Equals(IPAddress.Parse("fd00::9")) && a.PrefixLength == 64);
        var byDefault = Assert.Single(routes, r => r.Family == AddressFamily.InterNetwork && r.Destination is null);
        Assert.Equal(IPAddress.Parse("10.250.0.1"), byDefault.Gateway);
        Assert.Equal(100u, byDefault.Metric);
        Assert.Equal(1300, byDefault.Mtu);
        Assert.Equal(3, byDefault.Protocol); // boot
        Assert.Contains(routes, r => r.Destination?.Equals(IPAddress.Parse("10.96.0.0")) == true && r.PrefixLength == 12 && r.Scope == 253);
        Assert.Contains(routes, r => r.Family == AddressFamily.InterNetworkV6 && r.Destination is null && r.Gateway!.Equals(IPAddress.Parse("fd00::1")));
        Assert.Contains(routes, r => r.Protocol == 2 && r.Destination?.Equals(IPAddress.Parse("10.250.0.0")) == true);
        Assert.Contains("default via 10.250.0.1 dev va", ToolRunner.Ip("-n", _ns.Name, "route"), StringComparison.Ordinal);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task A_tap_and_ingress_redirects_both_ways_are_made_listed_and_removed()
    {
        var (tapIndex, vaIndex, fromVa, fromTap) = await _ns.RunAsync(n =>
        {
            var (fd, tap) = TapDevice.Create("sevtap0");
            using (fd)
            {
                var va = n.GetLinks().Single(l => l.Name == "va").Index;
                n.AddIngressQdisc(va);
                n.AddIngressQdisc(tap);
                n.AddRedirectFilter(va, tap);
                n.AddRedirectFilter(tap, va);
                Assert.Equal("tun", n.GetLinks().Single(l => l.Index == tap).Kind);
                var result = (tap, va, n.GetRedirectTargets(va), n.GetRedirectTargets(tap));
                var shown = ToolRunner.Run("ip", "netns", "exec", _ns.Name, "tc", "filter", "show", "dev", "va", "ingress");
                Assert.Contains("mirred (Egress Redirect to device sevtap0)", shown, StringComparison.Ordinal);
                Assert.Contains("stolen", shown, StringComparison.Ordinal);

                // A second ingress qdisc is someone else's: refused.
                var e = Assert.Throws<NetlinkException>(() => n.AddIngressQdisc(va));
                Assert.Equal(17, e.Errno);

                n.DeleteIngressQdisc(va);
                n.DeleteIngressQdisc(va); // already gone: quiet
                n.DeleteIngressQdisc(tap);
                Assert.Empty(n.GetRedirectTargets(va));
                n.DeleteLink(tap);
                n.DeleteLink(tap); // already gone: quiet
                return result;
            }
        });

        Assert.Equal([tapIndex], fromVa);
        Assert.Equal([vaIndex], fromTap);
        Assert.DoesNotContain("ingress", ToolRunner.Run("ip", "netns", "exec", _ns.Name, "tc", "qdisc", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("sevtap0", ToolRunner.Ip("-n", _ns.Name, "link"), StringComparison.Ordinal);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task A_missing_namespace_is_named()
    {
        var e = await Assert.ThrowsAsync<NetlinkException>(() => NetworkNamespace.RunAsync("/var/run/netns/sevnl-none", () => 1));
        Assert.Equal(2, e.Errno);
        Assert.Contains("network namespace /var/run/netns/sevnl-none does not exist", e.Message, StringComparison.Ordinal);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task Work_runs_in_the_namespace_not_the_callers()
    {
        var inside = await _ns.RunAsync(n => n.GetLinks().Select(l => l.Name).ToList());
        Assert.Equal(["lo", "va", "vb"], inside.Order(StringComparer.Ordinal));
        // Also on whatever thread the continuation runs: the thread pool may start a worker from
        // the namespace's thread as it completes the task, and a thread inherits its creator's.
        using var here = RouteNetlink.Open();
        Assert.DoesNotContain(here.GetLinks(), l => l.Name == "va");
        var threads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            using var socket = RouteNetlink.Open();
            return socket.GetLinks().Any(l => l.Name == "va");
        })));
        Assert.DoesNotContain(true, threads);
    }

    public void Dispose() => _ns.Dispose();
}
