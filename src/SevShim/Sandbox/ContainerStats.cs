namespace SevShim.Sandbox;

/// <summary>
/// A container's cgroup v2 counters as read in the guest. Every part is optional (null when the
/// guest could not read that controller); the ttrpc adapter turns this into
/// io.containerd.cgroups.v2.Metrics, the only stats type CRI accepts besides cgroups v1
/// (SHIM-PROTOCOL.md 2.4).
/// </summary>
internal sealed record ContainerStats(
    PidsStats? Pids,
    CpuStats? Cpu,
    MemoryStats? Memory,
    MemoryEventStats? MemoryEvents,
    IReadOnlyList<IoDeviceStats> Io);
