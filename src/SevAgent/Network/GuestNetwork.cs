using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlink;
using SevAgent.Errors;
using SevAgent.Guest;

namespace SevAgent.Network;

/// <summary>
/// Configures the pod VM's NICs as CNI configured their host twins (issue 12 item 2; Kata's
/// agent does the same steps, CRI.md section 2): each NIC is found by its MAC (QEMU gave it the
/// CNI interface's), set down, renamed to CNI's name (a guest link already holding that name is
/// moved aside first), given the MTU and addresses and set up; then the routes, link routes
/// first so that a gateway is reachable when its route is added. The NICs are in the guest's
/// root network namespace, which is the pod's (containers get no network namespace of their
/// own: the shim drops the spec's host path). lo is up already (init.sh).
/// </summary>
internal sealed class GuestNetwork
{
    // virtio_net is loaded by init in the background; its NICs appear when it has probed them.
    private static readonly string[] Modules = ["virtio_net"];

    private readonly ModuleLoadGate _modules;
    private readonly ILogger<GuestNetwork> _log;

    public GuestNetwork(ModuleLoadGate modules, ILogger<GuestNetwork> log)
    {
        _modules = modules;
        _log = log;
    }

    /// <summary>How long a NIC may take to appear after virtio_net is live.</summary>
    public TimeSpan NicWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Applies <paramref name="request"/>; errors name the interface or route and the step.</summary>
    public async Task ConfigureAsync(NetworkSpec request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (wanted, routes) = Validate(request);
        await _modules.WaitForAsync(Modules, cancellationToken).ConfigureAwait(false);
        var started = Environment.TickCount64;
        using (var netlink = OpenNetlink())
        {
            var links = await WaitForNicsAsync(netlink, wanted, cancellationToken).ConfigureAwait(false);
            Apply(netlink, links, wanted, routes);
        }

        _log.LogInformation(
            "pod network configured in {Ms} ms: {Interfaces}; {Routes} routes",
            Environment.TickCount64 - started,
            string.Join(", ", wanted.Select(n => $"{n.Name} mtu {n.Mtu} {string.Join(' ', n.Addresses.Select(a => $"{a.Address}/{a.Prefix}"))}")),
            routes.Count);
    }

    /// <summary>
    /// The configuration itself, on an open socket in the namespace to configure, with the NICs
    /// present (component tests run it in a namespace of their own).
    /// </summary>
    internal static void Apply(RouteNetlink netlink, NetworkSpec request)
    {
        var (wanted, routes) = Validate(request);
        var links = netlink.GetLinks();
        var missing = wanted.Where(n => !links.Any(l => l.HardwareAddress.AsSpan().SequenceEqual(n.Mac))).ToList();
        if (missing.Count > 0)
        {
            throw NoSuchNic(missing, links, TimeSpan.Zero);
        }

        Apply(netlink, links, wanted, routes);
    }

    private static void Apply(RouteNetlink netlink, IReadOnlyList<LinkInfo> links, List<Nic> wanted, List<(string Device, RouteInfo Route)> routes)
    {
        var step = "";
        try
        {
            var indexes = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var nic in wanted)
            {
                var link = links.First(l => l.HardwareAddress.AsSpan().SequenceEqual(nic.Mac));
                step = $"setting up {nic.Name} ({Mac(nic.Mac)})";
                netlink.SetLinkUp(link.Index, false);
                if (link.Name != nic.Name)
                {
                    // A guest link may already be called eth0 (the kernel's own naming): move it aside.
                    var clash = netlink.GetLinks().FirstOrDefault(l => l.Name == nic.Name && l.Index != link.Index);
                    if (clash is not null)
                    {
                        netlink.SetLinkUp(clash.Index, false);
                        netlink.SetLinkName(clash.Index, "old" + clash.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    netlink.SetLinkName(link.Index, nic.Name);
                }

                if (nic.Mtu > 0)
                {
                    netlink.SetLinkMtu(link.Index, nic.Mtu);
                }

                netlink.SetLinkUp(link.Index, true);
                foreach (var (address, prefix) in nic.Addresses)
                {
                    step = $"adding {address}/{prefix} to {nic.Name}";
                    netlink.AddAddress(link.Index, address, prefix);
                }

                indexes[nic.Name] = link.Index;
            }

            // Link routes first: a gateway must be reachable when its route is added.
            foreach (var (device, route) in routes.OrderBy(r => r.Route.Gateway is null ? 0 : 1))
            {
                step = $"adding the route to {(route.Destination is null ? "default" : route.Destination.ToString())}/{route.PrefixLength}{(route.Gateway is null ? "" : " via " + route.Gateway)} dev {device}";
                netlink.AddRoute(route with { OutputInterfaceIndex = indexes[device] });
            }
        }
        catch (NetlinkException ex)
        {
            throw AgentException.FailedPrecondition($"configuring the pod network: {step}: {ex.Message}");
        }
    }

    private static RouteNetlink OpenNetlink()
    {
        try
        {
            return RouteNetlink.Open();
        }
        catch (NetlinkException ex)
        {
            throw AgentException.FailedPrecondition($"configuring the pod network: opening rtnetlink: {ex.Message}");
        }
    }

    /// <summary>The NICs and routes of <paramref name="request"/>, every field checked (pure: fuzzed as is).</summary>
    internal static (List<Nic> Nics, List<(string Device, RouteInfo Route)> Routes) Validate(NetworkSpec request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nics = request.Interfaces.Select(Validate).ToList();
        var duplicate = nics.GroupBy(n => n.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw Invalid($"two interfaces are named {duplicate.Key}");
        }

        // Each NIC is found by its MAC: two with one MAC would both configure the same guest link.
        var sameMac = nics.GroupBy(n => Mac(n.Mac), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (sameMac is not null)
        {
            throw Invalid($"interfaces {string.Join(" and ", sameMac.Select(n => n.Name))} have the same MAC {sameMac.Key}");
        }

        return (nics, request.Routes.Select(r => ToRoute(r, nics)).ToList());
    }

    private async Task<IReadOnlyList<LinkInfo>> WaitForNicsAsync(RouteNetlink netlink, List<Nic> wanted, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)NicWait.TotalMilliseconds;
        while (true)
        {
            var links = netlink.GetLinks();
            var missing = wanted.Where(n => !links.Any(l => l.HardwareAddress.AsSpan().SequenceEqual(n.Mac))).ToList();
            if (missing.Count == 0)
            {
                return links;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw NoSuchNic(missing, links, NicWait);
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static AgentException NoSuchNic(List<Nic> missing, IReadOnlyList<LinkInfo> links, TimeSpan waited) => AgentException.NotFound(
        $"no guest NIC has the MAC of {string.Join(", ", missing.Select(m => $"{m.Name} ({Mac(m.Mac)})"))} after {waited.TotalSeconds} s " +
        $"(guest links: {string.Join(", ", links.Select(l => $"{l.Name} {Mac(l.HardwareAddress)}"))}): is virtio_net in the guest image?");

    private static Nic Validate(InterfaceSpec nic)
    {
        // The kernel counts bytes (IFNAMSIZ 16 with the NUL, dev_valid_name): a name of 15
        // characters may have more (fuzz finding: "ééééééééééééééé" is 30), and a character that is
        // not valid text has none of its own.
        if (nic.Name.Length is 0 or > 15 || Encoding.UTF8.GetByteCount(nic.Name) > 15
            || nic.Name.Any(c => c is '/' or ':' or '\0' || char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c)) || nic.Name is "." or "..")
        {
            throw Invalid($"interface name \"{nic.Name}\" is not a valid Linux interface name (1 to 15 bytes, no '/', ':' or spaces)");
        }

        if (nic.HardwareAddress.Length != 6)
        {
            throw Invalid($"interface {nic.Name}: the MAC must be 6 bytes, got {nic.HardwareAddress.Length}");
        }

        if (nic.Mtu is > 65535 or (> 0 and < 68))
        {
            throw Invalid($"interface {nic.Name}: MTU {nic.Mtu} is out of range (68 to 65535)");
        }

        var addresses = nic.Addresses.Select(a =>
        {
            var address = Address(a.Address, $"an address of {nic.Name}");
            var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            return a.PrefixLength <= max ? (address, (int)a.PrefixLength) : throw Invalid($"interface {nic.Name}: prefix length {a.PrefixLength} of {address} is over {max}");
        }).ToList();
        return new Nic(nic.Name, nic.HardwareAddress, (int)nic.Mtu, addresses);
    }

    private static (string Device, RouteInfo Route) ToRoute(RouteSpec route, List<Nic> nics)
    {
        var family = route.Ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var what = $"route to {(route.Destination.Length == 0 ? "default" : Address(route.Destination, "a route destination"))}/{route.PrefixLength} dev {route.Device}";
        if (!nics.Any(n => n.Name == route.Device))
        {
            throw Invalid($"{what}: no interface of the request is named {route.Device}");
        }

        IPAddress? Optional(ReadOnlySpan<byte> bytes, string name)
        {
            if (bytes.IsEmpty)
            {
                return null;
            }

            var address = Address(bytes, $"the {name} of {what}");
            return address.AddressFamily == family ? address : throw Invalid($"{what}: its {name} {address} is not of the route's family");
        }

        var destination = Optional(route.Destination, "destination");
        var max = family == AddressFamily.InterNetwork ? 32 : 128;
        if (route.PrefixLength > max || (destination is null && route.PrefixLength != 0))
        {
            throw Invalid($"{what}: prefix length {route.PrefixLength} is out of range");
        }

        // Netlink takes the scope as a byte and the MTU as a signed metric here: a value beyond
        // either would reach the kernel as another one (fuzz finding: scope 256 became 255,
        // "nowhere", and MTU 2^32-1 became -1).
        if (route.Scope > 255)
        {
            throw Invalid($"{what}: scope {route.Scope} is out of range (0 to 255)");
        }

        if (route.Mtu is > 65535 or (> 0 and < 68))
        {
            throw Invalid($"{what}: MTU {route.Mtu} is out of range (68 to 65535)");
        }

        var info = new RouteInfo(
            family, destination, (int)route.PrefixLength, Optional(route.Gateway, "gateway"), null, Optional(route.Source, "source"),
            (byte)route.Scope, 0, 0, 0, route.Metric == 0 ? null : route.Metric, (int)route.Mtu);
        return (route.Device, info);
    }

    private static IPAddress Address(ReadOnlySpan<byte> bytes, string what) =>
        bytes.Length is 4 or 16 ? new IPAddress(bytes) : throw Invalid($"{what} is {bytes.Length} bytes; an IPv4 address has 4, an IPv6 one 16");

    private static AgentException Invalid(string message) => AgentException.InvalidArgument(message);

    private static string Mac(byte[] mac) => Convert.ToHexString(mac).ToLowerInvariant() is var hex && hex.Length == 12
        ? string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2)))
        : hex;

    internal sealed record Nic(string Name, byte[] Mac, int Mtu, IReadOnlyList<(IPAddress Address, int Prefix)> Addresses);
}
