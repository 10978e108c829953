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
    // The container's memory limit and CPU quota as "memory=<bytes>" and "cpu=<quota> <period>",
    // from cgroup v2 (memory.max, cpu.max: the guest's and most hosts') or v1 (these test
    // machines run runc on v1); "missing" when the container shows neither, and the listing of
    // its /sys/fs/cgroup last, for the failure message.
    private const string ReadLimits =
        "if [ -r /sys/fs/cgroup/memory.max ]; then echo memory=$(cat /sys/fs/cgroup/memory.max); " +
        "elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); " +
        "else echo memory=missing; fi; " +
        "d=$(ls -d /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct 2>/dev/null | head -n 1); " +
        "if [ -r /sys/fs/cgroup/cpu.max ]; then echo cpu=$(cat /sys/fs/cgroup/cpu.max); " +
        "elif [ -n \"$d\" ]; then echo \"cpu=$(cat $d/cpu.cfs_quota_us) $(cat $d/cpu.cfs_period_us)\"; " +
        "else echo cpu=missing; fi; " +
        "echo files=$(ls /sys/fs/cgroup | tr '\\n' ' ')";

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
            var before = Limits(await pod.ShAsync(shared.AppId, ReadLimits, default));
            Assert.True(before["memory"] == CriSharedPod.AppMemoryLimitText(), $"before the update: {Describe(before)}");

            var newLimit = CriPodSpec.Mebibytes(96);
            await pod.Containerd.Runtime.UpdateContainerResourcesAsync(
                new UpdateContainerResourcesRequest
                {
                    ContainerId = shared.AppId,
                    Linux = new LinuxContainerResources { MemoryLimitInBytes = newLimit, CpuPeriod = 100_000, CpuQuota = 50_000, CpuShares = 512 },
                },
                deadline: DateTime.UtcNow.AddMinutes(2));

            var after = Limits(await pod.ShAsync(shared.AppId, ReadLimits, default));
            Assert.True(after["memory"] == newLimit.ToString(CultureInfo.InvariantCulture), $"after the update to {newLimit} bytes: {Describe(after)}");
            Assert.True(after["cpu"] == "50000 100000", $"after the update to quota 50000 per 100000: {Describe(after)}");

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

    // What ReadLimits printed, by key; a key it did not print reads "(not printed)".
    private static Dictionary<string, string> Limits(string text)
    {
        var values = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        foreach (var key in new[] { "memory", "cpu", "files" })
        {
            values.TryAdd(key, "(not printed)");
        }

        return values;
    }

    private static string Describe(Dictionary<string, string> limits) => string.Join("; ", limits.Select(kv => $"{kv.Key}={kv.Value}"));
}
