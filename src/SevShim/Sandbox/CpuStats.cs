namespace SevShim.Sandbox;

/// <summary>cpu.stat of the container's cgroup, in microseconds where named so.</summary>
internal sealed record CpuStats(
    ulong UsageUsec,
    ulong UserUsec,
    ulong SystemUsec,
    ulong NrPeriods,
    ulong NrThrottled,
    ulong ThrottledUsec);
