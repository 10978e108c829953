namespace SevAgent.Stats;

/// <summary>
/// A container cgroup's figures as read (agent.proto ContainerStats, built from this by the gRPC
/// adapter). Mutable: <see cref="CgroupStatsReader"/> fills it file by file, and a file it could
/// not read is named in <see cref="Missing"/>, its figures left 0.
/// </summary>
internal sealed class CgroupStats
{
    public CgroupStats(string cgroupPath) => CgroupPath = cgroupPath;

    /// <summary>The directory read (v1: the memory controller's).</summary>
    public string CgroupPath { get; }

    public CpuUsage Cpu { get; } = new();

    public MemoryUsage Memory { get; } = new();

    public PidsUsage Pids { get; } = new();

    public IoUsage Io { get; } = new();

    /// <summary>The files that could not be read.</summary>
    public List<string> Missing { get; } = [];
}
