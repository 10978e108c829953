namespace SevShim.IntegrationTests.Support;

/// <summary>Finds the host processes behind one sevshim pod of a <see cref="CtrContainerd"/>.</summary>
public static class CtrPods
{
    /// <summary>The shim binary's file name (containerd-shim-&lt;name&gt;-&lt;version&gt;).</summary>
    public const string ShimName = "containerd-shim-sevshim-v2";

    /// <summary>QEMU processes of pod <paramref name="id"/> (QEMU runs with -name sevshim-&lt;sandbox id&gt;).</summary>
    public static IReadOnlyList<int> QemuPids(string id) =>
        CtrHost.ProcessesWith("sevshim-" + id)
            .Where(p => p.CommandLine.Contains("qemu-system", StringComparison.Ordinal))
            .Select(p => p.Pid)
            .ToList();

    /// <summary>sevshim shim processes (start, delete or daemon) serving <paramref name="c"/>.</summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> ShimProcesses(CtrContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return ShimProcesses(c.Address);
    }

    /// <summary>
    /// Processes of the shim binary <paramref name="shimName"/> whose command line names
    /// <paramref name="marker"/> (a containerd address, a test folder). The shim's argv[0] is its
    /// path, which names the binary; the daemon re-executes itself the same way.
    /// </summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> ShimProcesses(string marker, string shimName = ShimName) =>
        CtrHost.ProcessesWith(marker)
            .Where(p => p.CommandLine.Contains(shimName, StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// The shim daemon of pod <paramref name="id"/>: the one whose command line names the id, else
    /// the only sevshim shim of this containerd.
    /// </summary>
    public static int? ShimDaemonPid(CtrContainerd c, string id)
    {
        var shims = ShimProcesses(c);
        var named = shims.Where(p => p.CommandLine.Contains(id, StringComparison.Ordinal)).ToList();
        var pick = named.Count > 0 ? named : shims;
        return pick.Count == 1 ? pick[0].Pid : null;
    }
}
