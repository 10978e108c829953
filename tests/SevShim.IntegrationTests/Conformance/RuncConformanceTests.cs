using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// The conformance scenarios with containerd's runc shim: the reference the sevshim half is
/// compared with, and the check that the harness itself (private containerd, ctr, pty, FIFOs) works,
/// on every containerd of the matrix with that build's own runc shim.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class RuncConformanceTests(CtrFixture fixture)
{
    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_keeps_stdout_and_stderr_apart_with_env_cwd_and_exit_code(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, build, "out", (c, id) => ConformanceScenarios.OutputAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Output);
    }

    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_echoes_stdin_and_passes_64_MiB_intact(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, build, "bulk", (c, id) => ConformanceScenarios.StdinAndBulkAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Bulk);
    }

    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_with_tty_gives_the_process_a_terminal(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, build, "tty", (c, id) => ConformanceScenarios.TtyAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.Tty);
    }

    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Detached_container_serves_attach_exec_ps_pause_metrics_and_signals(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await ConformanceRun.OneAsync(fixture, build, "long", (c, id) => ConformanceScenarios.LongRunningAsync(c, CtrRuntime.Runc, id),
            ConformanceExpectations.LongRunning);
    }
}
