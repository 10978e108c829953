using Netlink;
using Serilog;
using SevShim.Errors;

namespace SevShim.Network;

/// <summary>
/// The host side of a pod VM's network (issue 12, Kata's tcfilter model of CRI.md section 2):
/// in the pod's network namespace, for each CNI interface, a tap with the interface's MTU and an
/// ingress qdisc on both with a u32 match-all mirred redirect each way, so every frame CNI's
/// interface receives leaves through the tap into QEMU's virtio-net and back. The interface keeps
/// its addresses and CNI's routes, so CNI DEL later finds the namespace as CNI left it.
/// Every netlink step runs on a thread that entered the namespace (<see cref="NetworkNamespace"/>).
/// Ownership: owns the taps' fds; <see cref="ReleaseAsync"/> (idempotent) removes the filters,
/// qdiscs and taps and must run before the pod's sandbox task reports its exit (item 4): CNI DEL
/// follows that exit; the port-forward listeners (<see cref="ForwardLocalhost"/>) close first.
/// Lock: <see cref="_gate"/> serialises release.
/// </summary>
internal sealed class PodNetwork : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _log;
    private bool _released;
    private LocalhostForwarder? _forwarder;

    private PodNetwork(string netnsPath, PodNetworkPlan plan, IReadOnlyList<PodNic> nics, ILogger log)
    {
        NetnsPath = netnsPath;
        Plan = plan;
        Nics = nics;
        _log = log;
    }

    /// <summary>The pod's network namespace (a host path; never sent to the guest).</summary>
    public string NetnsPath { get; }

    /// <summary>What was discovered.</summary>
    public PodNetworkPlan Plan { get; }

    /// <summary>The wired interfaces, in the plan's order (QEMU's NICs follow it).</summary>
    public IReadOnlyList<PodNic> Nics { get; }

    /// <summary>
    /// Discovers CNI's interfaces in <paramref name="netnsPath"/> and wires a tap to each. On
    /// failure everything made so far is removed again.
    /// </summary>
    public static async Task<PodNetwork> AttachAsync(string netnsPath, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var started = Environment.TickCount64;
        var (plan, nics) = await InNamespaceAsync(netnsPath, "wiring the pod network", () => Wire(netnsPath), cancellationToken).ConfigureAwait(false);
        foreach (var nic in nics)
        {
            var i = nic.Interface;
            log.Information(
                "pod network {Netns}: {Name} ({Kind}, {Mac}, mtu {Mtu}, {Addresses}) carried through tap {Tap}",
                netnsPath,
                i.Name,
                i.Kind,
                i.MacText,
                i.Mtu,
                string.Join(' ', i.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}")),
                nic.TapName);
        }

        log.Information("pod network {Netns}: {Count} interfaces, {Routes} routes wired in {Ms} ms", netnsPath, nics.Count, plan.Routes.Count, Environment.TickCount64 - started);
        return new PodNetwork(netnsPath, plan, nics, log);
    }

    /// <summary>
    /// Once the guest's agent answers: mirrors the guest's localhost listeners into the pod's
    /// namespace for containerd's port-forward (<see cref="LocalhostForwarder"/>), until released.
    /// </summary>
    public void ForwardLocalhost(Agent.IGuestAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (_forwarder is not null || _released)
        {
            throw new InvalidOperationException("the pod network forwards localhost already, or was released");
        }

        _forwarder = LocalhostForwarder.Start(NetnsPath, agent, _log);
    }

    /// <summary>
    /// Removes the redirects, qdiscs and taps (QEMU may still hold its copy of a tap's fd: the
    /// link goes anyway), then closes the fds. Idempotent; failures are logged, not thrown, since
    /// a half-removed network must not keep the pod's exit from being reported.
    /// </summary>
    public async Task ReleaseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_released)
            {
                return;
            }

            _released = true;
            if (_forwarder is not null)
            {
                await _forwarder.DisposeAsync().ConfigureAwait(false);
            }

            if (Nics.Count > 0)
            {
                try
                {
                    await InNamespaceAsync(NetnsPath, "removing the pod network", () => Unwire(Nics), CancellationToken.None).ConfigureAwait(false);
                    _log.Information("pod network released: {Count} taps and their tc redirects removed from {Netns}", Nics.Count, NetnsPath);
                }
                catch (ShimException ex)
                {
                    _log.Error("pod network {Netns} not fully released: {Message}", NetnsPath, ex.Message);
                }
            }

            foreach (var nic in Nics)
            {
                nic.TapFd.Dispose();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="work"/> in the namespace; netlink failures become FailedPrecondition
    /// naming the step, a missing namespace InvalidArgument naming the path.
    /// </summary>
    internal static async Task<T> InNamespaceAsync<T>(string netnsPath, string what, Func<T> work, CancellationToken cancellationToken)
    {
        try
        {
            return await NetworkNamespace.RunAsync(netnsPath, work, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (ex.Errno == 2 && !File.Exists(netnsPath))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: the pod's network namespace {netnsPath} does not exist (its spec's linux.namespaces names it): create it before the container, or leave the path out",
                ex);
        }
        catch (NetlinkException ex)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: {what} in {netnsPath} failed: {ex.Message}", ex);
        }
    }

    // On the namespace's thread: discover, then one tap and two redirects per interface.
    private static (PodNetworkPlan Plan, IReadOnlyList<PodNic> Nics) Wire(string netnsPath)
    {
        using var netlink = RouteNetlink.Open();
        var plan = PodNetworkDiscovery.Choose(netlink.GetLinks(), netlink.GetAddresses(), netlink.GetRoutes(), netnsPath);
        var nics = new List<PodNic>();
        try
        {
            foreach (var link in plan.Interfaces)
            {
                var tapName = PodNetworkDiscovery.TapPrefix + nics.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var (fd, tapIndex) = TapDevice.Create(tapName);
                var nic = new PodNic(link, tapName, tapIndex, fd);
                nics.Add(nic);
                netlink.SetLinkMtu(tapIndex, link.Mtu);
                netlink.SetLinkUp(tapIndex, true);
                netlink.AddIngressQdisc(link.Index);
                netlink.AddIngressQdisc(tapIndex);
                netlink.AddRedirectFilter(link.Index, tapIndex);
                netlink.AddRedirectFilter(tapIndex, link.Index);
            }

            return (plan, nics);
        }
        catch
        {
            try
            {
                Unwire(nics, netlink);
            }
            catch (NetlinkException)
            {
                // The first failure is the one to report; what is left, the delete verb removes.
            }

            foreach (var nic in nics)
            {
                nic.TapFd.Dispose();
            }

            throw;
        }
    }

    private static bool Unwire(IReadOnlyList<PodNic> nics)
    {
        using var netlink = RouteNetlink.Open();
        Unwire(nics, netlink);
        return true;
    }

    // Deleting an ingress qdisc deletes its filters; the tap goes with RTM_DELLINK.
    private static void Unwire(IReadOnlyList<PodNic> nics, RouteNetlink netlink)
    {
        foreach (var nic in nics)
        {
            netlink.DeleteIngressQdisc(nic.Interface.Index);
            netlink.DeleteIngressQdisc(nic.TapIndex);
            netlink.DeleteLink(nic.TapIndex);
        }
    }
}
