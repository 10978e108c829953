using System.Globalization;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Leaks;

/// <summary>
/// Repeated `ctr run --rm` with sevshim must leave nothing behind: no QEMU, no shim, no mount
/// below the private containerd's folder or the pods' /run/sevshim folders, no shim socket, no
/// bundle or pod state folder. Cycles: SEVSHIM_LEAK_CYCLES (default <see cref="DefaultCycles"/>).
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SevshimLeakTests(CtrFixture fixture)
{
    /// <summary>Cycles when SEVSHIM_LEAK_CYCLES is unset (each is a VM boot under TCG).</summary>
    public const int DefaultCycles = 5;

    [CtrVmFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Run_and_delete_cycles_leave_no_process_mount_socket_or_state()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
        var cycles = Cycles();
        var c = await fixture.GetAsync();
        var ids = Enumerable.Range(0, cycles).Select(i => c.NewId("leak" + i.ToString(CultureInfo.InvariantCulture))).ToList();
        try
        {
            await CtrDiagnostics.RunAsync(c, ids, async () =>
            {
                foreach (var id in ids)
                {
                    var run = await c.CtrAsync(TimeSpan.FromMinutes(4), [.. c.RunArgs(CtrRuntime.Sevshim, id, ["--rm"], "true")]);
                    Assert.True(run.ExitCode == 0, $"cycle {id}: {run.Describe()}");
                }

                // The shim's teardown finishes after ctr returns; give it time, then list what stayed.
                var leaks = new List<string>();
                await CtrWait.UntilAsync(() => Task.FromResult((leaks = Leaks(c, ids)).Count == 0), TimeSpan.FromMinutes(1));
                Assert.True(leaks.Count == 0, $"after {cycles} cycles these remain:\n" + string.Join('\n', leaks));
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

    private static List<string> Leaks(CtrContainerd c, IReadOnlyList<string> ids)
    {
        var leaks = new List<string>();
        leaks.AddRange(CtrPods.ShimProcesses(c).Select(p => $"shim process {p.Pid}: {p.CommandLine}"));
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
        return leaks;
    }

    private static int Cycles()
    {
        var text = Environment.GetEnvironmentVariable("SEVSHIM_LEAK_CYCLES");
        if (string.IsNullOrEmpty(text))
        {
            return DefaultCycles;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new InvalidOperationException($"SEVSHIM_LEAK_CYCLES='{text}' is not a positive number of cycles; unset it for {DefaultCycles}");
    }
}
