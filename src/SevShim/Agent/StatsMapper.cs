using SevShim.Sandbox;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>The agent's cgroup v2 figures as the task service's domain stats (field names follow the cgroup files).</summary>
internal static class StatsMapper
{
    /// <summary>Maps; parts listed in "missing" by the agent become null.</summary>
    public static ContainerStats ToDomain(Proto.ContainerStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var missing = stats.Missing.ToHashSet(StringComparer.Ordinal);
        var cpu = stats.Cpu is { } c && !missing.Contains("cpu.stat")
            ? new CpuStats(c.UsageUsec, c.UserUsec, c.SystemUsec, c.NrPeriods, c.NrThrottled, c.ThrottledUsec)
            : null;
        var pids = stats.Pids is { } p && !missing.Contains("pids.current") ? new PidsStats(p.Current, p.Limit) : null;
        MemoryStats? memory = null;
        MemoryEventStats? events = null;
        if (stats.Memory is { } m && !missing.Contains("memory.current"))
        {
            ulong Stat(string key) => m.Stat.TryGetValue(key, out var v) ? v : 0;
            memory = new MemoryStats(
                m.UsageBytes,
                m.LimitBytes,
                m.SwapUsageBytes,
                0,
                Stat("anon"),
                Stat("file"),
                Stat("kernel_stack"),
                Stat("slab"),
                Stat("sock"),
                Stat("shmem"),
                Stat("inactive_file"),
                Stat("active_file"),
                Stat("pgfault"),
                Stat("pgmajfault"));
            events = new MemoryEventStats(m.EventsLow, m.EventsHigh, m.EventsMax, m.EventsOom, m.EventsOomKill);
        }

        var io = stats.Io?.Devices.Select(d => new IoDeviceStats(d.Major, d.Minor, d.Rbytes, d.Wbytes, d.Rios, d.Wios)).ToList() ?? [];
        return new ContainerStats(pids, cpu, memory, events, io);
    }
}
