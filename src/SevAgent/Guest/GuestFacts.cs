namespace SevAgent.Guest;

/// <summary>The guest's kernel, memory, CPUs, cgroups and SEV as the agent reads them (GetGuestInfo).</summary>
internal sealed record GuestFacts(
    string KernelRelease,
    string KernelVersion,
    ulong MemoryTotalBytes,
    ulong MemoryAvailableBytes,
    uint Cpus,
    string AgentVersion,
    SevReading Sev,
    string KernelCommandLine,
    int AgentPid,
    bool CgroupV2,
    IReadOnlyList<string> CgroupControllers);
