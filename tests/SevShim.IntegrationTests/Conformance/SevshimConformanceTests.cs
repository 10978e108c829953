using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// The conformance scenarios with io.containerd.sevshim.v2 (a QEMU VM per pod, TCG, no SEV),
/// each compared with what the runc shim shows for the same scenario, on every containerd of the
/// matrix (<see cref="ContainerdBuild"/>). Five VM boots per build.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SevshimConformanceTests(CtrFixture fixture)
{
    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_keeps_stdout_and_stderr_apart_with_env_cwd_and_exit_code_like_runc(string containerd)
    {
        await ConformanceRun.CompareAsync(fixture, Ensure(containerd), "out", ConformanceScenarios.OutputAsync, ConformanceExpectations.Output,
            (runc, vm) => Assert.Equal(runc, vm));
    }

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_echoes_stdin_and_passes_64_MiB_intact_like_runc(string containerd)
    {
        await ConformanceRun.CompareAsync(fixture, Ensure(containerd), "bulk", ConformanceScenarios.StdinAndBulkAsync, ConformanceExpectations.Bulk,
            (runc, vm) => Assert.Equal(runc.ToComparable(), vm.ToComparable()));
    }

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_with_tty_gives_the_process_a_terminal_like_runc(string containerd)
    {
        await ConformanceRun.CompareAsync(fixture, Ensure(containerd), "tty", ConformanceScenarios.TtyAsync, ConformanceExpectations.Tty,
            (runc, vm) => Assert.True(runc.SameAs(vm), $"runc showed {runc}, sevshim showed {vm}"));
    }

    // This scenario once hung intermittently at an exec's Start (the agent logged nothing for
    // it): the agent's keep-alive closed every idle connection (459997d, AgentConnectionTests).
    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Detached_container_serves_attach_exec_ps_pause_metrics_and_signals_like_runc(string containerd)
    {
        await ConformanceRun.CompareAsync(fixture, Ensure(containerd), "long", ConformanceScenarios.LongRunningAsync, ConformanceExpectations.LongRunning,
            (runc, vm) => Assert.Equal(runc, vm));
    }

    // Block mode because the shared mode's rootfs (a 9p folder) never had the problem: the agent
    // mounted a block rootfs read-only itself when root.readonly was set, so crun could not make
    // /proc ("cannot mkdir proc: Read-only file system"). One VM per row.
    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Read_only_block_rootfs_gets_its_mounts_and_refuses_writes_like_runc(string containerd)
    {
        var build = Ensure(containerd);
        await ConformanceRun.CompareAsync(fixture, build, "ro",
            async (c, runtime, id) => await ConformanceScenarios.ReadOnlyRootAsync(c, runtime, id,
                runtime == CtrRuntime.Sevshim ? ["--runtime-config-path", await BlockConfigAsync(c)] : []),
            ConformanceExpectations.ReadOnlyRoot,
            (runc, vm) =>
            {
                // The last line is the root's file system type: the block rootfs is the disk image.
                var (runcChecks, _) = SplitLastLine(runc.Stdout);
                var (vmChecks, vmType) = SplitLastLine(vm.Stdout);
                Assert.True(vmType == "ext4", $"sevshim's root is not the block rootfs image (ext4): {vm}");
                Assert.Equal(runc with { Stdout = runcChecks }, vm with { Stdout = vmChecks });
            });
    }

    private static (string Before, string Last) SplitLastLine(string text)
    {
        var lines = text.TrimEnd('\n').Split('\n');
        return (string.Join('\n', lines[..^1]) + '\n', lines[^1]);
    }

    /// <summary>The suite's sevshim config with rootfs.mode = "block", for `ctr run --runtime-config-path`.</summary>
    private static async Task<string> BlockConfigAsync(CtrContainerd c)
    {
        var path = Path.Combine(c.Dir, "sevshim-block.toml");
        await File.WriteAllTextAsync(path, CtrContainerd.TcgShimConfig() + "\n\n[rootfs]\nmode = \"block\"\n");
        return path;
    }

    private static ContainerdBuild Ensure(string containerd) => ContainerdRowAttribute.Ensure(
        containerd, Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
}
