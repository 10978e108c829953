using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// The conformance scenarios with io.containerd.sevshim.v2 (a QEMU VM per pod, TCG, no SEV),
/// each compared with what the runc shim shows for the same scenario. Four VM boots in all.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SevshimConformanceTests(CtrFixture fixture)
{
    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Run_keeps_stdout_and_stderr_apart_with_env_cwd_and_exit_code_like_runc()
    {
        Ensure();
        await ConformanceRun.CompareAsync(fixture, "out", ConformanceScenarios.OutputAsync, ConformanceExpectations.Output,
            (runc, vm) => Assert.Equal(runc, vm));
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Run_echoes_stdin_and_passes_64_MiB_intact_like_runc()
    {
        Ensure();
        await ConformanceRun.CompareAsync(fixture, "bulk", ConformanceScenarios.StdinAndBulkAsync, ConformanceExpectations.Bulk,
            (runc, vm) => Assert.Equal(runc.ToComparable(), vm.ToComparable()));
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Run_with_tty_gives_the_process_a_terminal_like_runc()
    {
        Ensure();
        await ConformanceRun.CompareAsync(fixture, "tty", ConformanceScenarios.TtyAsync, ConformanceExpectations.Tty,
            (runc, vm) => Assert.True(runc.SameAs(vm), $"runc showed {runc}, sevshim showed {vm}"));
    }

    // Intermittently, a second `ctr task exec` into the running container never starts in the
    // guest (ExecAdded is published, Start hangs, the agent logs nothing for it); the same kind of
    // in-guest hang was seen at CreateContainer. Open in the issue "ctr run end to end".
    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task Detached_container_serves_attach_exec_ps_pause_metrics_and_signals_like_runc()
    {
        Ensure();
        await ConformanceRun.CompareAsync(fixture, "long", ConformanceScenarios.LongRunningAsync, ConformanceExpectations.LongRunning,
            (runc, vm) => Assert.Equal(runc, vm));
    }

    private static void Ensure() => Prerequisites.Ensure(
        Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
}
