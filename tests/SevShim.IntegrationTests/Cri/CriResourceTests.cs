using System.Globalization;
using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Resources through the CRI, with each handler: UpdateContainerResources reaching the
/// container's own cgroup (read from inside the container, so the guest's cgroup for sevshim),
/// and ContainerStats / ListContainerStats reporting CPU and memory.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriResourceTests(CriFixture fixture)
{
    // The container's memory limit and CPU quota as "<bytes>\n<quota> <period>\n", from cgroup v2
    // (memory.max, cpu.max: the guest's and most hosts') or v1 (these test machines run runc on v1).
    private const string ReadLimits =
        "if [ -r /sys/fs/cgroup/memory.max ]; then cat /sys/fs/cgroup/memory.max; " +
        "else cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi; " +
        "if [ -r /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; " +
        "else d=$(ls -d /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct 2>/dev/null | head -n 1); " +
        "echo \"$(cat $d/cpu.cfs_quota_us) $(cat $d/cpu.cfs_period_us)\"; fi";

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task UpdateContainerResources_reaches_the_container_cgroup(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var before = Lines(await pod.ShAsync(shared.AppId, ReadLimits, default));
            Assert.Equal(CriSharedPod.AppMemoryLimitText(), before[0]);

            var newLimit = CriPodSpec.Mebibytes(96);
            await pod.Containerd.Runtime.UpdateContainerResourcesAsync(
                new UpdateContainerResourcesRequest
                {
                    ContainerId = shared.AppId,
                    Linux = new LinuxContainerResources { MemoryLimitInBytes = newLimit, CpuPeriod = 100_000, CpuQuota = 50_000, CpuShares = 512 },
                },
                deadline: DateTime.UtcNow.AddMinutes(2));

            var after = Lines(await pod.ShAsync(shared.AppId, ReadLimits, default));
            Assert.Equal(newLimit.ToString(CultureInfo.InvariantCulture), after[0]);
            Assert.Equal("50000 100000", after[1]);

            // ContainerStatus shows the resources the CRI now holds for the container.
            var status = await pod.Containerd.Runtime.ContainerStatusAsync(
                new ContainerStatusRequest { ContainerId = shared.AppId }, deadline: DateTime.UtcNow.AddMinutes(1));
            Assert.Equal(ContainerState.ContainerRunning, status.Status.State);
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task ContainerStats_report_cpu_and_memory(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // Some CPU time for the counters, inside app's cgroup.
            await pod.ShAsync(shared.AppId, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done", default);
            var stats = (await pod.Containerd.Runtime.ContainerStatsAsync(
                new ContainerStatsRequest { ContainerId = shared.AppId }, deadline: DateTime.UtcNow.AddMinutes(1))).Stats;
            Assert.Equal(shared.AppId, stats.Attributes.Id);
            Assert.Equal("app", stats.Attributes.Metadata.Name);
            Assert.True(stats.Cpu?.UsageCoreNanoSeconds?.Value > 0, $"cpu usage_core_nano_seconds: {stats.Cpu}");
            Assert.True(stats.Cpu.Timestamp > 0, $"cpu timestamp: {stats.Cpu}");
            Assert.True(stats.Memory?.WorkingSetBytes?.Value > 0, $"memory working_set_bytes: {stats.Memory}");
            Assert.True(stats.Memory.Timestamp > 0, $"memory timestamp: {stats.Memory}");

            var listed = await pod.Containerd.Runtime.ListContainerStatsAsync(
                new ListContainerStatsRequest { Filter = new ContainerStatsFilter { PodSandboxId = pod.Id } }, deadline: DateTime.UtcNow.AddMinutes(1));
            var ids = listed.Stats.Select(s => s.Attributes.Id).ToHashSet(StringComparer.Ordinal);
            Assert.Contains(shared.AppId, ids);
            Assert.Contains(shared.PeerId, ids);
            Assert.All(
                listed.Stats.Where(s => s.Attributes.Id == shared.PeerId),
                s => Assert.True(s.Memory?.WorkingSetBytes?.Value > 0, $"peer memory: {s.Memory}"));
        });
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
