namespace SevShim.Agent;

/// <summary>The guest as its agent describes it (logged at boot; <see cref="Sev"/> is verified for confidential pods).</summary>
internal sealed record GuestInfo(string KernelRelease, uint Cpus, ulong MemoryTotalBytes, string AgentVersion, GuestSevStatus? Sev);
