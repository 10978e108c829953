using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// What a removed pod may not leave, for either handler: the CRI still listing it or its
/// containers; a process naming one of its ids (shim, QEMU, runc) or still holding its sandbox
/// pid; a mount naming its ids or its network namespace; its network namespace file; its veth or
/// any tap/tun device in the instance's namespace; its folders (task bundles, the CRI's sandbox
/// and container dirs, runc state, /run/sevshim/&lt;id&gt;); its shim socket; its cgroups; its
/// CNI cache entry and IP lease.
/// </summary>
public static class CriLeaks
{
    /// <summary>Where containerd 1.6's shims (runc's) put their sockets, whatever the config.</summary>
    public const string RuncShimSocketDir = "/run/containerd/s";

    /// <summary>libcni's result cache (containerd 1.6 does not move it).</summary>
    public const string CniResultsDir = "/var/lib/cni/results";

    /// <summary>The loopback network containerd's CRI adds to every pod (go-cni WithLoNetwork).</summary>
    public const string LoopbackNetwork = "cni-loopback";

    /// <summary>Everything of <paramref name="pod"/> still there, one line each; empty when clean.</summary>
    public static async Task<List<string>> OfAsync(CriPod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var c = pod.Containerd;
        var leaks = new List<string>();
        var ids = new[] { pod.Id }.Concat(pod.ContainerIds).ToList();

        var listed = await c.Runtime.ListPodSandboxAsync(
            new ListPodSandboxRequest { Filter = new PodSandboxFilter { Id = pod.Id } }, cancellationToken: cancellationToken);
        leaks.AddRange(listed.Items.Select(p => $"the CRI still lists pod {p.Id} ({p.State})"));
        var containers = await c.Runtime.ListContainersAsync(
            new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod.Id } }, cancellationToken: cancellationToken);
        leaks.AddRange(containers.Containers.Select(x => $"the CRI still lists container {x.Metadata?.Name} {x.Id} ({x.State})"));

        foreach (var id in ids)
        {
            leaks.AddRange(CtrHost.ProcessesWith(id).Select(p => $"process {p.Pid} names {Short(id)}: {Clip(p.CommandLine)}"));
            leaks.AddRange(CtrHost.MountsWith(id).Select(m => "mount " + m));
            leaks.AddRange(CriCleanup.CgroupsBelow(c.CgroupParent).Where(g => g.EndsWith("/" + id, StringComparison.Ordinal)).Select(g => "cgroup " + g));
            foreach (var dir in new[]
            {
                c.BundleOf(id),
                Path.Combine(c.CriRootDir, "sandboxes", id),
                Path.Combine(c.CriStateDir, "sandboxes", id),
                Path.Combine(c.CriRootDir, "containers", id),
                Path.Combine(c.CriStateDir, "containers", id),
                Path.Combine(c.RuncRoot, CriContainerd.Namespace, id),
                Path.Combine(CtrContainerd.ShimStateRoot, id),
            })
            {
                if (Directory.Exists(dir))
                {
                    leaks.Add("folder " + dir);
                }
            }
        }

        if (pod.SandboxPid > 0 && CtrHost.IsAlive(pod.SandboxPid))
        {
            leaks.Add($"sandbox pid {pod.SandboxPid} (from PodSandboxStatus) still runs: {Clip(CommandLineOf(pod.SandboxPid))}");
        }

        if (pod.NetnsPath.Length > 0)
        {
            leaks.AddRange(CtrHost.MountsWith(pod.NetnsPath).Select(m => "network namespace mount " + m));
            if (File.Exists(pod.NetnsPath))
            {
                leaks.Add("network namespace file " + pod.NetnsPath);
            }
        }

        var veths = await c.Netns!.LinksAsync("veth");
        leaks.AddRange(pod.Veths.Intersect(veths).Select(v => $"veth {v} in {c.Netns.Name}"));
        leaks.AddRange((await c.Netns.LinksAsync("tun")).Select(t => $"tap/tun device {t} in {c.Netns.Name}"));

        foreach (var socket in new[] { c.ShimSocketOf(pod.Id, RuncShimSocketDir), c.ShimSocketOf(pod.Id, c.ShimSocketDir) })
        {
            if (File.Exists(socket))
            {
                leaks.Add("shim socket " + socket);
            }
        }

        if (Directory.Exists(CniResultsDir))
        {
            // The pod network's entry and the one of the loopback network containerd adds itself.
            leaks.AddRange(Directory.EnumerateFiles(CniResultsDir, $"{c.NetworkName}-{pod.Id}-*")
                .Concat(Directory.EnumerateFiles(CniResultsDir, $"{LoopbackNetwork}-{pod.Id}-*"))
                .Select(f => "CNI cache entry " + f));
        }

        var leases = Path.Combine(c.Dir, "ipam", c.NetworkName);
        if (Directory.Exists(leases))
        {
            leaks.AddRange(Directory.EnumerateFiles(leases)
                .Where(f => CriPod.ReadShared(f).Contains(pod.Id, StringComparison.Ordinal))
                .Select(f => "IP lease " + f));
        }

        return leaks;
    }

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "(gone)";
        }
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
