using System.Net.Sockets;
using System.Text;
using CsCheck;
using Fuzz.Tests.Harness;
using SevAgent.Errors;
using SevAgent.Network;

namespace Fuzz.Tests.Agent;

/// <summary>
/// ConfigureNetwork's NICs and routes (GuestNetwork.Validate, before any netlink call) and the
/// guest kernel's TCP tables (GuestListeners.Parse). A validated NIC has a name the kernel takes
/// (dev_valid_name: 1 to 15 bytes, no '/', ':' or white space, not "." or ".."), a MAC of its own
/// (the agent finds each NIC by it), an MTU of 0 or 68 to 65535 and prefixes within the family; a
/// route goes through a NIC of the request, in one family, with its numbers as the host gave them.
/// </summary>
public sealed partial class AgentRequestFuzz
{
    private static readonly string[] NicNames =
        ["eth0", "eth1", "net1", "", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\u00a0b", "0123456789abcde", "0123456789abcdef", "ééééééééééééééé", "eth\ud800", "lo", "\u0000"];

    private static readonly byte[][] Macs = [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], [], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6, 7]];

    private static readonly uint[] Numbers = [0, 1, 24, 32, 33, 64, 67, 68, 128, 129, 200, 253, 254, 255, 256, 1500, 65535, 65536, int.MaxValue, 0x80000000, uint.MaxValue];

    private static readonly Gen<byte[]> Addresses = Gen.Frequency(
        (3, Gen.Byte.Array[4]), (3, Gen.Byte.Array[16]), (1, Gen.Byte.Array[0, 17]), (1, Gen.Const(Array.Empty<byte>())));

    private static readonly Gen<NetworkSpec> NetworkSpecs = Gen.Select(
        Gen.Select(
            Gen.OneOf(NicNames),
            Gen.Frequency((4, Gen.OneOf(Macs)), (1, Gen.Byte.Array[0, 8])),
            Gen.OneOf(Numbers),
            Gen.Select(Addresses, Gen.OneOf(Numbers), (a, p) => new AddressSpec(a, p)).Array[0, 3],
            (name, mac, mtu, addresses) => new InterfaceSpec(name, mac, mtu, addresses)).Array[0, 3],
        Gen.Select(
            Gen.Select(Gen.Bool, Addresses, Gen.OneOf(Numbers), Addresses),
            Gen.Select(Gen.OneOf(NicNames), Gen.OneOf(Numbers), Gen.OneOf(Numbers), Addresses, Gen.OneOf(Numbers)),
            (a, b) => new RouteSpec(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4, b.Item5)).Array[0, 4],
        (nics, routes) => new NetworkSpec(nics, routes));

    [Fact]
    public Task A_validated_network_or_the_agents_error() => Fuzzer.RunAsync(
        new FuzzTarget<NetworkSpec>("agent network spec", NetworkSpecs, CheckNetwork, ex => ex is AgentException, ShowNetwork),
        output);

    private static void CheckNetwork(NetworkSpec request)
    {
        var (nics, routes) = GuestNetwork.Validate(request);
        foreach (var nic in nics)
        {
            var bytes = Encoding.UTF8.GetByteCount(nic.Name);
            Fuzzer.Require(
                bytes is >= 1 and <= 15 && !nic.Name.Any(c => c is '/' or ':' or '\0' || char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c))
                    && nic.Name is not ("." or ".."),
                $"NIC name {Mutations.Show(nic.Name)} ({bytes} UTF-8 bytes) is not one the kernel takes");
            Fuzzer.Require(nic.Mac.Length == 6, "a NIC's MAC is not 6 bytes");
            Fuzzer.Require(nic.Mtu is 0 or (>= 68 and <= 65535), $"NIC {nic.Name} has MTU {nic.Mtu}");
            foreach (var (address, prefix) in nic.Addresses)
            {
                Fuzzer.Require(prefix >= 0 && prefix <= (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), $"{address}/{prefix} is out of range");
            }
        }

        Fuzzer.Require(nics.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() == nics.Count, "two NICs have one name");
        Fuzzer.Require(
            nics.Select(n => Convert.ToHexString(n.Mac)).Distinct(StringComparer.Ordinal).Count() == nics.Count,
            "two NICs have one MAC: both would configure the same guest link");

        for (var i = 0; i < routes.Count; i++)
        {
            var (device, route) = routes[i];
            var asked = request.Routes[i];
            Fuzzer.Require(nics.Any(n => n.Name == device), $"route {i} goes through {device}, not a NIC of the request");
            var family = asked.Ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            Fuzzer.Require(
                route.Family == family && new[] { route.Destination, route.Gateway, route.PreferredSource }.All(a => a is null || a.AddressFamily == family),
                $"route {i} mixes address families");
            Fuzzer.Require(route.PrefixLength >= 0 && route.PrefixLength <= (family == AddressFamily.InterNetwork ? 32 : 128), $"route {i} has prefix {route.PrefixLength}");
            Fuzzer.Require(route.Destination is not null || route.PrefixLength == 0, $"default route {i} has prefix {route.PrefixLength}");
            Fuzzer.Require(route.Scope == asked.Scope, $"route {i}'s scope {asked.Scope} reaches netlink as {route.Scope}");
            Fuzzer.Require(route.Mtu >= 0 && (uint)route.Mtu == asked.Mtu, $"route {i}'s MTU {asked.Mtu} reaches netlink as {route.Mtu}");
            Fuzzer.Require((route.Metric ?? 0) == asked.Metric, $"route {i}'s metric {asked.Metric} reaches netlink as {route.Metric}");
        }
    }

    private static string ShowNetwork(NetworkSpec spec) =>
        "interfaces [" + string.Join("; ", spec.Interfaces.Select(n =>
            $"{Mutations.Show(n.Name)} mac {Convert.ToHexString(n.HardwareAddress)} mtu {n.Mtu} [{string.Join(", ", n.Addresses.Select(a => $"{Convert.ToHexString(a.Address)}/{a.PrefixLength}"))}]")) +
        "], routes [" + string.Join("; ", spec.Routes.Select(r =>
            $"v6 {r.Ipv6} {Convert.ToHexString(r.Destination)}/{r.PrefixLength} via {Convert.ToHexString(r.Gateway)} dev {Mutations.Show(r.Device)} scope {r.Scope} metric {r.Metric} src {Convert.ToHexString(r.Source)} mtu {r.Mtu}")) + "]";

    private const string TcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    private static readonly string[] TcpFields =
        ["0:", "00000000:1F90", "0100007F:0050", "00000000000000000000000000000000:0050", "0000000000000000FFFF00000100007F:0052",
         "00000000000000000000000001000000:FFFF", "0100007F:0000", "0100007F:10000", "0100007F:FFFFFFFFFF", "0100007F:", ":", "::", "0A", "0a", "01",
         "00000000:0000", "0100007F:-1", "0100007F:+50", "0100007F: 50", "1F90", "\t", "0100007f:1f90"];

    private static readonly Gen<string> TcpTables = Gen.Frequency(
        (3, Gen.OneOf(TcpFields).Array[0, 8].Select(f => string.Join(' ', f)).Array[0, 6].Select(lines => TcpHeader + string.Join('\n', lines))),
        (1, Gen.String));

    [Fact]
    public Task Listener_ports_are_tcp_ports() => Fuzzer.RunAsync(
        new FuzzTarget<(string Table, bool V6)>(
            "agent TCP tables",
            Gen.Select(TcpTables, Gen.Bool),
            input =>
            {
                var set = new HashSet<(uint Port, bool Ipv6)>();
                GuestListeners.Parse(input.Table, input.V6, set);
                Fuzzer.Require(set.All(l => l.Port is >= 1 and <= 65535), $"a listener port out of range: {string.Join(", ", set)}");
                Fuzzer.Require(input.V6 || set.All(l => !l.Ipv6), "the IPv4 table gave an IPv6 listener");
            },
            _ => false,
            input => $"v6 {input.V6}: {Mutations.Show(input.Table)}"),
        output);
}
