using Runtime.V1;
using Grpc.Core;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// The cleanup of a <see cref="CriContainerd"/>: first as kubelet would (StopPodSandbox and
/// RemovePodSandbox for every pod), then, once containerd is stopped, whatever a failed test or
/// runtime left: processes naming the instance's folder (shims) or one of its sandbox ids (QEMU),
/// processes still in its runc cgroups (pause and app processes outlive a killed runc shim),
/// mounts below its folder or the pods' /run/sevshim folders, the cgroups, the runc shims'
/// sockets in /run/containerd/s and libcni's cache entries of its network. Only what the instance
/// created is touched.
/// </summary>
public static class CriCleanup
{
    /// <summary>Stops and removes every pod the CRI lists; errors are logged, not thrown (this is cleanup).</summary>
    public static async Task RemoveAllPodsAsync(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        try
        {
            var pods = await c.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
            foreach (var pod in pods.Items)
            {
                await CriPod.StopAndRemoveAsync(c, pod.Id, CancellationToken.None);
            }
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"CRI cleanup of {c.Dir}: {e.Status}");
        }
    }

    /// <summary>Kills, unmounts and deletes what the instance left (containerd must be stopped).</summary>
    public static async Task RemoveLeftoversAsync(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        // The shims name the instance's socket (-address); their children (QEMU, also of a pod
        // whose RunPodSandbox failed and so never gave an id) are found through the parent links
        // before the shims go and they are reparented.
        var shims = CtrHost.ProcessesWith(c.Dir).Select(p => p.Pid).ToList();
        var doomed = Descendants(shims).Concat(shims)
            .Concat(c.SandboxIds.SelectMany(id => CtrHost.ProcessesWith(id).Select(p => p.Pid)))
            .Distinct()
            .ToList();
        foreach (var pid in doomed)
        {
            CtrHost.Kill(pid);
        }

        foreach (var pid in doomed)
        {
            await CtrHost.WaitGoneAsync(pid, TimeSpan.FromSeconds(30));
        }

        foreach (var cgroup in CgroupsBelow(c.CgroupParent))
        {
            foreach (var pid in PidsOf(cgroup))
            {
                CtrHost.Kill(pid);
                await CtrHost.WaitGoneAsync(pid, TimeSpan.FromSeconds(30));
            }
        }

        await CtrHost.UnmountAllAsync(c.Dir);
        foreach (var id in c.SandboxIds)
        {
            await CtrHost.UnmountAllAsync(Path.Combine(CtrContainerd.ShimStateRoot, id));
            TryDelete(Path.Combine(CtrContainerd.ShimStateRoot, id));
            TryDeleteFile(c.ShimSocketOf(id, CriLeaks.RuncShimSocketDir));
            TryDeleteFile(Path.Combine(CriLeaks.CniResultsDir, $"{CriLeaks.LoopbackNetwork}-{id}-lo"));
        }

        // Deepest first: a cgroup can only be removed once its children are.
        foreach (var cgroup in CgroupsBelow(c.CgroupParent).OrderByDescending(d => d.Length))
        {
            try
            {
                Directory.Delete(cgroup);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"CRI cleanup: cgroup {cgroup} stays: {e.Message}");
            }
        }

        if (Directory.Exists(CriLeaks.CniResultsDir))
        {
            foreach (var cached in Directory.EnumerateFiles(CriLeaks.CniResultsDir, c.NetworkName + "-*"))
            {
                TryDeleteFile(cached);
            }
        }
    }

    /// <summary>
    /// The cgroup folders of <paramref name="parent"/> and below, in every mounted hierarchy
    /// (cgroup v1 controllers under /sys/fs/cgroup/&lt;controller&gt;, or the v2 tree itself).
    /// </summary>
    public static IReadOnlyList<string> CgroupsBelow(string parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var roots = new List<string> { "/sys/fs/cgroup" };
        if (Directory.Exists("/sys/fs/cgroup"))
        {
            roots.AddRange(Directory.EnumerateDirectories("/sys/fs/cgroup"));
        }

        var found = new List<string>();
        foreach (var top in roots.Select(r => r + parent).Where(Directory.Exists).Distinct(StringComparer.Ordinal))
        {
            found.Add(top);
            found.AddRange(Directory.EnumerateDirectories(top, "*", SearchOption.AllDirectories));
        }

        return found;
    }

    /// <summary>Copies containerd's log to SEVSHIM_E2E_LOG_DIR (set by scripts/test.sh) before the folder goes.</summary>
    public static void KeepLog(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var keep = Environment.GetEnvironmentVariable("SEVSHIM_E2E_LOG_DIR");
        if (string.IsNullOrEmpty(keep) || !File.Exists(c.LogPath))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(keep);
            File.Copy(c.LogPath, Path.Combine(keep, $"containerd-cri-{c.Token}.log"), overwrite: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"keeping the CRI containerd log in {keep} failed: {e.Message}");
        }
    }

    /// <summary>Deletes a folder tree; a busy leftover is the leak tests' finding, not the cleanup's.</summary>
    public static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Every process below <paramref name="roots"/> in the parent tree (from /proc/&lt;pid&gt;/stat).</summary>
    private static List<int> Descendants(IReadOnlyCollection<int> roots)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && int.TryParse(fields[1], out var parent))
                {
                    (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
                }
            }
            catch (IOException)
            {
                // it ended while we looked
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>(roots);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in children.TryGetValue(pid, out var list) ? list : [])
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found;
    }

    private static IEnumerable<int> PidsOf(string cgroup)
    {
        var procs = Path.Combine(cgroup, "cgroup.procs");
        string[] lines;
        try
        {
            lines = File.Exists(procs) ? File.ReadAllLines(procs) : [];
        }
        catch (IOException)
        {
            yield break;
        }

        foreach (var line in lines)
        {
            if (int.TryParse(line, out var pid))
            {
                yield return pid;
            }
        }
    }
}
