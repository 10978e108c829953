using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Faults;

/// <summary>
/// Faults under a running sevshim container: QEMU killed, the shim killed, containerd restarted.
/// Each ends with containerd able to clean up and no VM left behind, on every containerd of the matrix.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SevshimFaultTests(CtrFixture fixture)
{
    private static readonly TimeSpan Gone = TimeSpan.FromMinutes(2);

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Killing_qemu_makes_the_task_exit_and_ctr_can_delete_it(string containerd)
    {
        var c = await fixture.GetAsync(Ensure(containerd));
        var id = c.NewId("qemu-kill");
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () =>
            {
                await FaultScenarios.RunSleeperAsync(c, CtrRuntime.Sevshim, id);
                var qemu = CtrPods.QemuPids(id);
                Assert.True(qemu.Count == 1, $"expected one QEMU named sevshim-{id}, found [{string.Join(", ", qemu)}]");

                CtrHost.Kill(qemu[0]);

                var status = await FaultScenarios.WaitNotRunningAsync(c, id);
                Assert.True(status == "STOPPED", $"after QEMU died ctr task ls shows {status ?? "no task"}, expected STOPPED");
                var deleteTask = await c.CtrAsync("task", "delete", id);
                Assert.True(deleteTask.ExitCode == 0, "ctr task delete: " + deleteTask.Describe());
                var deleteContainer = await c.CtrAsync("container", "delete", id);
                Assert.True(deleteContainer.ExitCode == 0, "ctr container delete: " + deleteContainer.Describe());
                // Only this pod's shim: the fixture is shared, and another test's leftover is that test's failure.
                IReadOnlyList<(int Pid, string CommandLine)> ThisPodsShim() =>
                    CtrPods.ShimProcesses(c).Where(p => p.CommandLine.Contains($"-id {id} ", StringComparison.Ordinal)).ToList();
                Assert.True(await CtrWait.UntilAsync(() => Task.FromResult(ThisPodsShim().Count == 0), Gone),
                    "the shim still runs after its pod was deleted: " + string.Join("; ", ThisPodsShim().Select(p => p.CommandLine)));
            });
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Killing_the_shim_leaves_containerd_able_to_delete_and_the_vm_gone(string containerd)
    {
        var c = await fixture.GetAsync(Ensure(containerd));
        var id = c.NewId("shim-kill");
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () =>
            {
                await FaultScenarios.RunSleeperAsync(c, CtrRuntime.Sevshim, id);
                var qemu = CtrPods.QemuPids(id);
                Assert.True(qemu.Count == 1, $"expected one QEMU named sevshim-{id}, found [{string.Join(", ", qemu)}]");
                var shim = CtrPods.ShimDaemonPid(c, id);
                Assert.True(shim is not null, "no single shim daemon found: " + string.Join("; ", CtrPods.ShimProcesses(c).Select(p => p.CommandLine)));

                CtrHost.Kill(shim.Value);

                // containerd sees the connection close and runs `containerd-shim-sevshim-v2 delete`.
                await FaultScenarios.WaitNotRunningAsync(c, id);
                var deleteTask = await c.CtrAsync("task", "delete", id);
                Assert.True(deleteTask.ExitCode == 0 || deleteTask.Stderr.Contains("not found", StringComparison.Ordinal),
                    "ctr task delete: " + deleteTask.Describe());
                var deleteContainer = await c.CtrAsync("container", "delete", id);
                Assert.True(deleteContainer.ExitCode == 0, "ctr container delete: " + deleteContainer.Describe());
                Assert.True(await CtrHost.WaitGoneAsync(qemu[0], Gone), $"QEMU (pid {qemu[0]}) still runs after the shim died and the container was deleted");
                var listed = (await c.CtrAsync("container", "ls", "-q")).EnsureSuccess();
                Assert.DoesNotContain(id, listed.Stdout, StringComparison.Ordinal);
            });
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Containerd_restart_reconnects_and_exec_still_works(string containerd)
    {
        await FaultScenarios.RestartKeepsTaskAsync(fixture, Ensure(containerd), CtrRuntime.Sevshim, "restart-v");
    }

    private static ContainerdBuild Ensure(string containerd) => ContainerdRowAttribute.Ensure(
        containerd, Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
}
