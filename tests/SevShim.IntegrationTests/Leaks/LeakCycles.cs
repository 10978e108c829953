using System.Globalization;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Leaks;

/// <summary>
/// N times `ctr run --rm ... true`, then a list of what stayed: shim processes of the private
/// containerd, QEMUs of the pods, bundle and pod state folders, mounts below the private folder
/// or the pods' /run/sevshim folders, shim sockets, FIFO folders.
/// </summary>
public static class LeakCycles
{
    /// <summary>
    /// Cycles on <paramref name="build"/>: SEVSHIM_LEAK_CYCLES, else <paramref name="defaultCycles"/>
    /// on the host's 1.6 (the full suite) and <see cref="MatrixCycles"/> on the other builds,
    /// where each sevshim cycle is another VM boot under TCG in CI's 40 minutes.
    /// </summary>
    public static int Cycles(ContainerdBuild build, int defaultCycles)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Cycles(build.Label == ContainerdBuild.Host ? defaultCycles : Math.Min(defaultCycles, MatrixCycles));
    }

    /// <summary>Cycles on the builds besides 1.6 when SEVSHIM_LEAK_CYCLES is unset.</summary>
    public const int MatrixCycles = 3;

    /// <summary>SEVSHIM_LEAK_CYCLES, else <paramref name="defaultCycles"/>.</summary>
    public static int Cycles(int defaultCycles)
    {
        var text = Environment.GetEnvironmentVariable("SEVSHIM_LEAK_CYCLES");
        if (string.IsNullOrEmpty(text))
        {
            return defaultCycles;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new InvalidOperationException($"SEVSHIM_LEAK_CYCLES='{text}' is not a positive number of cycles; unset it for {defaultCycles}");
    }

    /// <summary>Runs the cycles with <paramref name="runtime"/> and asserts that nothing stayed.</summary>
    public static async Task RunAsync(CtrFixture fixture, ContainerdBuild build, string runtime, string shimName, int cycles)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var c = await fixture.GetAsync(build);
        // Ids name the runtime: a cycle that hangs leaves its bundle behind, and the next test on
        // the shared fixture must not trip over it ("mkdir ...: file exists").
        var tag = runtime.Split('.') is [_, _, var name, _] ? name : "rt";
        var ids = Enumerable.Range(0, cycles).Select(i => c.NewId($"leak-{tag}{i.ToString(CultureInfo.InvariantCulture)}")).ToList();
        try
        {
            // The fixture is shared: what an earlier (failed) test left is its failure, not this one's.
            var before = Leaks(c, ids, shimName).ToHashSet(StringComparer.Ordinal);
            await CtrDiagnostics.RunAsync(c, ids, async () =>
            {
                foreach (var id in ids)
                {
                    var run = await c.CtrAsync(TimeSpan.FromMinutes(4), [.. c.RunArgs(runtime, id, ["--rm"], "true")]);
                    Assert.True(run.ExitCode == 0, $"cycle {id}: {run.Describe()}");
                }

                // The shim's teardown finishes after ctr returns; give it time, then list what stayed.
                var leaks = new List<string>();
                await CtrWait.UntilAsync(() => Task.FromResult((leaks = Leaks(c, ids, shimName).Where(l => !before.Contains(l)).ToList()).Count == 0), TimeSpan.FromMinutes(1));
                Assert.True(leaks.Count == 0, $"after {cycles} cycles with {runtime} these remain:\n" + string.Join('\n', leaks));
            });
        }
        finally
        {
            foreach (var id in ids)
            {
                await c.RemoveContainerAsync(id);
            }
        }
    }

    /// <summary>What stayed of <paramref name="ids"/> on <paramref name="c"/>, one line each; empty when clean.</summary>
    public static List<string> Leaks(CtrContainerd c, IReadOnlyList<string> ids, string shimName)
    {
        var leaks = new List<string>();
        leaks.AddRange(CtrPods.ShimProcesses(c.Address, shimName).Select(p => $"shim process {p.Pid}: {p.CommandLine}"));
        foreach (var id in ids)
        {
            leaks.AddRange(CtrPods.QemuPids(id).Select(pid => $"QEMU process {pid} of {id}"));
            var bundle = c.BundleOf(id);
            if (Directory.Exists(bundle))
            {
                leaks.Add("bundle folder " + bundle);
            }

            var pod = Path.Combine(CtrContainerd.ShimStateRoot, id);
            if (Directory.Exists(pod))
            {
                leaks.Add("pod state folder " + pod);
            }
        }

        leaks.AddRange(CtrHost.MountsWith(c.Dir).Select(m => "mount " + m));
        leaks.AddRange(CtrHost.MountsWith(Path.Combine(CtrContainerd.ShimStateRoot, c.Token)).Select(m => "mount " + m));
        leaks.AddRange(Directory.EnumerateFileSystemEntries(c.ShimSocketDir).Select(s => "shim socket " + s));
        leaks.AddRange(Directory.EnumerateFileSystemEntries(c.FifoDir).Select(f => "fifo folder " + f));
        // Taps: a pod with a network namespace makes its sevtapN devices there, and they go with
        // the namespace; one in this (the host's) namespace would be ours, left behind.
        leaks.AddRange(Directory.EnumerateFileSystemEntries("/sys/class/net")
            .Select(Path.GetFileName)
            .Where(n => n!.StartsWith(SevShim.Network.PodNetworkDiscovery.TapPrefix, StringComparison.Ordinal))
            .Select(n => "tap device " + n));
        leaks.AddRange(CgroupsNamed(ids).Select(g => "cgroup " + g));
        return leaks;
    }

    // Cgroup folders named after a container id, in every hierarchy (v2, or v1's one folder per
    // controller), down to containerd's <namespace>/<id> level and a slice below it.
    private static IEnumerable<string> CgroupsNamed(IReadOnlyList<string> ids)
    {
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var level = new List<string> { "/sys/fs/cgroup" };
        for (var depth = 0; depth < 4 && level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var dir in level)
            {
                IEnumerable<string> children;
                try
                {
                    children = Directory.EnumerateDirectories(dir).ToList();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (var child in children)
                {
                    if (wanted.Contains(Path.GetFileName(child)))
                    {
                        yield return child;
                    }
                    else
                    {
                        next.Add(child);
                    }
                }
            }

            level = next;
        }
    }
}
