using System.Globalization;
using SevShim.IntegrationTests.Leaks;
using SevShim.IntegrationTests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Soak;

/// <summary>
/// Cycles of create, exec, output, delete with a fault injected in each (issue 14 item 6): kill -9
/// of QEMU, of the shim, of a process of the container; a 15 s freeze of the guest (QEMU
/// SIGSTOPped); a containerd restart; the shim SIGKILLing itself at its exec failpoint; Create
/// failing at its failpoint. Each cycle must end as a runc user would see it (output intact
/// where the fault allows, the task stopped, ctr able to remove it), and after the last cycle
/// nothing of any cycle may remain (<see cref="LeakCycles.Leaks"/>: processes, QEMUs, bundles,
/// pod state folders, mounts, shim sockets; not ctr's own FIFO folders). SEVSHIM_SOAK_CYCLES sets the number of cycles
/// (default: one per fault, for CI) and SEVSHIM_SOAK_SEED the order; scripts/soak.sh runs 100.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);

    private enum Fault
    {
        None,
        KillQemu,
        KillShim,
        KillContainerProcess,
        FreezeGuest,
        RestartContainerd,
        ShimDiesAtExec,
        CreateFails,
    }

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Cycles_with_faults_end_as_runc_users_expect_and_leave_nothing()
    {
        var faults = Enum.GetValues<Fault>();
        var cycles = Setting("SEVSHIM_SOAK_CYCLES", faults.Length);
        var random = new Random(Setting("SEVSHIM_SOAK_SEED", 20261207));
        // The first round has every fault once, in a seeded order; later ones draw at random.
        var plan = faults.OrderBy(_ => random.Next()).Concat(Enumerable.Range(0, Math.Max(0, cycles - faults.Length)).Select(_ => faults[random.Next(faults.Length)])).Take(cycles).ToList();

        await using var c = await CtrContainerd.StartWithFailpointsAsync(ContainerdBuild.Of(ContainerdBuild.Host));
        var ids = plan.Select((f, i) => c.NewId($"soak{i.ToString(CultureInfo.InvariantCulture)}")).ToList();
        var outcomes = new List<string>();
        await CtrDiagnostics.RunAsync(c, ids, async () =>
        {
            for (var i = 0; i < plan.Count; i++)
            {
                var started = DateTime.UtcNow;
                try
                {
                    await CycleAsync(c, ids[i], plan[i]);
                }
                finally
                {
                    File.Delete(c.FailpointFile);
                    await c.RemoveContainerAsync(ids[i]);
                }

                outcomes.Add($"cycle {i} {plan[i]}: ok in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
                output.WriteLine(outcomes[^1]);
            }

            var leaks = new List<string>();
            // ctr's FIFO folders are ctr's own client state: a `ctr run -d` whose shim was
            // SIGKILLed leaves its folder, whatever the shim. Everything else counts.
            await CtrWait.UntilAsync(
                () => Task.FromResult((leaks = LeakCycles.Leaks(c, ids, CtrPods.ShimName).Where(l => !l.StartsWith("fifo folder ", StringComparison.Ordinal)).ToList()).Count == 0),
                TimeSpan.FromMinutes(1));
            Assert.True(leaks.Count == 0, $"after {plan.Count} soak cycles these remain:\n" + string.Join('\n', leaks));
        });
    }

    private static async Task CycleAsync(CtrContainerd c, string id, Fault fault)
    {
        if (fault == Fault.CreateFails)
        {
            await File.WriteAllTextAsync(c.FailpointFile, "create error\n");
            var run = await c.CtrAsync(Long, [.. c.RunArgs(CtrRuntime.Sevshim, id, ["-d"], "true")]);
            Assert.True(run.ExitCode != 0, "ctr run with Create failing succeeded: " + run.Describe());
            Assert.Contains("failpoint create injected an error", run.Stderr, StringComparison.Ordinal);
            return;
        }

        // sh waits for its sleep, so killing the sleep ends the init with 137 as under runc.
        (await c.CtrAsync(Long, [.. c.RunArgs(CtrRuntime.Sevshim, id, ["-d"], "sh", "-c", "sleep 100000 & wait")])).EnsureSuccess();
        Assert.Equal("RUNNING", await c.TaskStatusAsync(id));
        await ExpectAliveAsync(c, id, "before");

        switch (fault)
        {
            case Fault.None:
                break;
            case Fault.KillQemu:
                foreach (var pid in CtrPods.QemuPids(id))
                {
                    CtrHost.Kill(pid);
                }

                await ExpectStoppedAsync(c, id);
                return;
            case Fault.KillShim:
                CtrHost.Kill(CtrPods.ShimDaemonPid(c, id) ?? throw new InvalidOperationException($"no shim daemon of {id}"));
                return;
            case Fault.KillContainerProcess:
                // sleep is the container's init: once it dies the kernel SIGKILLs the rest of
                // its pid namespace, this exec too if it has not exited yet (137), as under runc
                // (the soak's cycle 95 of 100 met it).
                var kill = await Exec(c, id, "k", "sh", "-c", "kill -9 $(pidof sleep)");
                Assert.True(kill.ExitCode is 0 or 137, $"the kill exec ended with {kill.ExitCode}: {kill.Stderr}");
                await ExpectStoppedAsync(c, id);
                return;
            case Fault.FreezeGuest:
                var qemus = CtrPods.QemuPids(id);
                Assert.NotEmpty(qemus);
                await SignalAsync(qemus, "STOP");
                await Task.Delay(TimeSpan.FromSeconds(15));
                await SignalAsync(qemus, "CONT");
                break;
            case Fault.RestartContainerd:
                await c.RestartAsync();
                await CtrWait.UntilAsync(async () => await c.TaskStatusAsync(id) == "RUNNING", TimeSpan.FromMinutes(2));
                break;
            case Fault.ShimDiesAtExec:
                await File.WriteAllTextAsync(c.FailpointFile, "exec exit\n");
                var exec = await Exec(c, id, "dies", "true");
                Assert.True(exec.ExitCode != 0, "an exec whose shim died succeeded: " + exec.Describe());
                return;
            default:
                throw new InvalidOperationException($"no step for fault {fault}");
        }

        await ExpectAliveAsync(c, id, "after");
        (await c.CtrAsync(Long, "task", "kill", "-s", "SIGKILL", id)).EnsureSuccess();
        await ExpectStoppedAsync(c, id);
    }

    private static Task<CtrResult> Exec(CtrContainerd c, string id, string execId, params string[] command) =>
        c.CtrAsync(Long, ["task", "exec", "--fifo-dir", c.FifoDir, "--exec-id", execId, id, .. command]);

    private static async Task ExpectAliveAsync(CtrContainerd c, string id, string execId)
    {
        var echo = await Exec(c, id, execId, "echo", "alive");
        Assert.True(echo.ExitCode == 0 && echo.Stdout == "alive\n", $"exec {execId} in {id}: " + echo.Describe());
    }

    private static async Task ExpectStoppedAsync(CtrContainerd c, string id)
    {
        string? status = "RUNNING";
        await CtrWait.UntilAsync(async () => (status = await c.TaskStatusAsync(id)) is not "RUNNING", TimeSpan.FromMinutes(2));
        Assert.True(status is "STOPPED" or null, $"task {id} is {status ?? "gone"} after its end");
    }

    private static async Task SignalAsync(IEnumerable<int> pids, string signal)
    {
        foreach (var pid in pids)
        {
            await using var kill = CtrCommand.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
            kill.CloseStdin();
            (await kill.WaitAsync(TimeSpan.FromSeconds(30))).EnsureSuccess();
        }
    }

    private static int Setting(string name, int fallback)
    {
        var text = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(text) ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new InvalidOperationException($"{name}='{text}' is not a positive number; unset it for {fallback}");
    }
}
