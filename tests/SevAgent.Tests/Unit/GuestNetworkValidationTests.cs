using SevAgent.Errors;
using SevAgent.Network;

namespace SevAgent.Tests.Unit;

/// <summary>
/// ConfigureNetwork's checks before any netlink call (GuestNetwork.Validate). The refusals below
/// are fuzz findings (Fuzz.Tests AgentRequestFuzz): each passed and reached netlink as something
/// else than the host asked, or would have configured one guest link twice.
/// </summary>
public sealed class GuestNetworkValidationTests
{
    private static readonly byte[] Mac1 = [2, 0, 0, 0, 0, 1];
    private static readonly byte[] Mac2 = [2, 0, 0, 0, 0, 2];

    private static InterfaceSpec Nic(string name, byte[] mac) => new(name, mac, 1500, [new AddressSpec([10, 0, 0, 2], 24)]);

    private static RouteSpec Route(uint scope = 0, uint mtu = 0) => new(false, [], 0, [10, 0, 0, 1], "eth0", scope, 0, [], mtu);

    [Fact]
    public void A_plain_request_passes_with_its_numbers_as_given()
    {
        var (nics, routes) = GuestNetwork.Validate(new NetworkSpec([Nic("eth0", Mac1), Nic("eth1", Mac2)], [Route(scope: 253, mtu: 1400)]));

        Assert.Equal(["eth0", "eth1"], nics.Select(n => n.Name));
        Assert.Equal(253, routes[0].Route.Scope);
        Assert.Equal(1400, routes[0].Route.Mtu);
    }

    [Theory]
    [InlineData("ééééééééééééééé")]
    [InlineData("eth0\u00a0")]
    public void A_name_the_kernel_would_refuse_is_invalid_argument(string name) => RefusesName(name);

    // Not InlineData: the test runner's serialisation would replace the unpaired surrogate.
    [Fact]
    public void A_name_that_is_not_valid_text_is_invalid_argument() => RefusesName("eth\ud800");

    private static void RefusesName(string name)
    {
        var e = Assert.Throws<AgentException>(() => GuestNetwork.Validate(new NetworkSpec([Nic(name, Mac1)], [])));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("interface name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_interfaces_with_one_MAC_are_invalid_argument()
    {
        var e = Assert.Throws<AgentException>(() => GuestNetwork.Validate(new NetworkSpec([Nic("eth0", Mac1), Nic("eth1", Mac1)], [])));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("same MAC 02:00:00:00:00:01", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(256u, 0u, "scope 256")]
    [InlineData(uint.MaxValue, 0u, "scope 4294967295")]
    [InlineData(0u, uint.MaxValue, "MTU 4294967295")]
    [InlineData(0u, 65536u, "MTU 65536")]
    [InlineData(0u, 67u, "MTU 67")]
    public void A_route_number_out_of_range_is_invalid_argument(uint scope, uint mtu, string named)
    {
        var e = Assert.Throws<AgentException>(() => GuestNetwork.Validate(new NetworkSpec([Nic("eth0", Mac1)], [Route(scope, mtu)])));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
