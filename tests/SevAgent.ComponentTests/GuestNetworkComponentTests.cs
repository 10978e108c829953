using System.Security.Cryptography;
using Google.Protobuf;
using Netlink;
using SevAgent.Errors;
using SevAgent.Network;
using SevAgent.Protocol.V1;
using SevAgent.Services;
using TestSupport;
using static TestSupport.ToolRunner;

namespace SevAgent.ComponentTests;

/// <summary>
/// The agent's network configuration against the real kernel, in a network namespace of the
/// test's own standing in for the guest: a veth end with a kernel-chosen name plays the NIC.
/// Needs root and iproute2 (to make the namespace and read the result).
/// </summary>
public sealed class GuestNetworkComponentTests : IDisposable
{
    private static readonly byte[] Mac = [0x0a, 0x58, 0x0a, 0xfa, 0x00, 0x07];
    private readonly string _ns = "sevag-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public GuestNetworkComponentTests()
    {
        Ip("netns", "add", _ns);
        try
        {
            Ip("-n", _ns, "link", "add", "nic7", "address", "0a:58:0a:fa:00:07", "type", "veth", "peer", "name", "other7");
            // The name CNI chose is already taken in the "guest": it must be moved aside.
            Ip("-n", _ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private string NetnsPath => "/var/run/netns/" + _ns;

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task Finds_the_nic_by_mac_renames_it_and_sets_mtu_addresses_and_routes()
    {
        var request = new ConfigureNetworkRequest();
        var nic = new NetworkInterface { Name = "eth0", HardwareAddress = ByteString.CopyFrom(Mac), Mtu = 1450 };
        nic.Addresses.Add(new IpAddress { Address = ByteString.CopyFrom([10, 250, 0, 7]), PrefixLength = 24 });
        nic.Addresses.Add(new IpAddress { Address = ByteString.CopyFrom(System.Net.IPAddress.Parse("fd00:250::7").GetAddressBytes()), PrefixLength = 64 });
        request.Interfaces.Add(nic);
        // Given gateway first: the agent must add the link route before it.
        request.Routes.Add(new NetworkRoute { Gateway = ByteString.CopyFrom([10, 250, 0, 1]), Device = "eth0" });
        request.Routes.Add(new NetworkRoute { Destination = ByteString.CopyFrom([10, 96, 0, 0]), PrefixLength = 12, Device = "eth0", Scope = 253 });
        request.Routes.Add(new NetworkRoute { Ipv6 = true, Gateway = ByteString.CopyFrom(System.Net.IPAddress.Parse("fd00:250::1").GetAddressBytes()), Device = "eth0" });

        await NetworkNamespace.RunAsync(NetnsPath, () =>
        {
            using var netlink = RouteNetlink.Open();
            GuestNetwork.Apply(netlink, AgentProtoMapper.ToSpec(request));
            return true;
        });

        var link = Ip("-n", _ns, "-o", "link", "show", "dev", "eth0");
        Assert.Contains("link/ether 0a:58:0a:fa:00:07", link, StringComparison.Ordinal);
        Assert.Contains(" mtu 1450 ", link, StringComparison.Ordinal);
        Assert.Contains("inet 10.250.0.7/24", Ip("-n", _ns, "addr", "show", "dev", "eth0"), StringComparison.Ordinal);
        Assert.Contains("inet6 fd00:250::7/64", Ip("-n", _ns, "addr", "show", "dev", "eth0"), StringComparison.Ordinal);
        var routes = Ip("-n", _ns, "route");
        Assert.Contains("default via 10.250.0.1 dev eth0", routes, StringComparison.Ordinal);
        Assert.Contains("10.96.0.0/12 dev eth0", routes, StringComparison.Ordinal);
        Assert.Contains("default via fd00:250::1 dev eth0", Ip("-n", _ns, "-6", "route"), StringComparison.Ordinal);
        Assert.DoesNotContain("nic7", Ip("-n", _ns, "-o", "link"), StringComparison.Ordinal);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task A_mac_no_nic_has_is_not_found_naming_it()
    {
        var request = new ConfigureNetworkRequest();
        request.Interfaces.Add(new NetworkInterface { Name = "eth0", HardwareAddress = ByteString.CopyFrom([2, 0, 0, 0, 0, 1]), Mtu = 1500 });
        var e = await Assert.ThrowsAsync<AgentException>(() => NetworkNamespace.RunAsync(NetnsPath, () =>
        {
            using var netlink = RouteNetlink.Open();
            GuestNetwork.Apply(netlink, AgentProtoMapper.ToSpec(request));
            return true;
        }));
        Assert.Equal(AgentErrorKind.NotFound, e.Kind);
        Assert.Contains("02:00:00:00:00:01", e.Message, StringComparison.Ordinal);
    }

    [E2ETheory(Requirement.Root, Requirement.Iproute)]
    [InlineData("bad/name", 6, 1500, "not a valid Linux interface name")]
    [InlineData("averyveryverylongname", 6, 1500, "not a valid Linux interface name")]
    [InlineData("eth0", 5, 1500, "the MAC must be 6 bytes")]
    [InlineData("eth0", 6, 20, "MTU 20 is out of range")]
    public void Malformed_interfaces_are_invalid_arguments_naming_the_field(string name, int macLength, int mtu, string expected)
    {
        var request = new ConfigureNetworkRequest();
        request.Interfaces.Add(new NetworkInterface { Name = name, HardwareAddress = ByteString.CopyFrom(new byte[macLength]), Mtu = (uint)mtu });
        var e = Assert.Throws<AgentException>(() => GuestNetwork.Apply(null!, AgentProtoMapper.ToSpec(request)));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public void A_route_through_an_unknown_device_or_with_a_bad_address_is_invalid()
    {
        var request = new ConfigureNetworkRequest();
        request.Interfaces.Add(new NetworkInterface { Name = "eth0", HardwareAddress = ByteString.CopyFrom(Mac), Mtu = 1500 });
        request.Routes.Add(new NetworkRoute { Gateway = ByteString.CopyFrom([10, 0, 0]), Device = "eth0" });
        Assert.Contains("3 bytes", Assert.Throws<AgentException>(() => GuestNetwork.Apply(null!, AgentProtoMapper.ToSpec(request))).Message, StringComparison.Ordinal);
        request.Routes[0] = new NetworkRoute { Gateway = ByteString.CopyFrom([10, 0, 0, 1]), Device = "eth9" };
        Assert.Contains("no interface of the request is named eth9", Assert.Throws<AgentException>(() => GuestNetwork.Apply(null!, AgentProtoMapper.ToSpec(request))).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Ip("netns", "delete", _ns);
}
