using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// The conformance scenarios with containerd's runc shim: the reference the sevshim half is
/// compared with, and the check that the harness itself (private containerd, ctr, pty, FIFOs) works.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class RuncConformanceTests(CtrFixture fixture)
{
    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Run_keeps_stdout_and_stderr_apart_with_env_cwd_and_exit_code()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, "out", (c, id) => ConformanceScenarios.OutputAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Output);
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Run_echoes_stdin_and_passes_64_MiB_intact()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, "bulk", (c, id) => ConformanceScenarios.StdinAndBulkAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Bulk);
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Run_with_tty_gives_the_process_a_terminal()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, "tty", (c, id) => ConformanceScenarios.TtyAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Tty);
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Detached_container_serves_attach_exec_ps_pause_metrics_and_signals()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, "long", (c, id) => ConformanceScenarios.LongRunningAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.LongRunning);
    }
}
