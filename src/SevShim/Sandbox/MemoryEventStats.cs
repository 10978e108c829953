namespace SevShim.Sandbox;

/// <summary>memory.events counters.</summary>
internal sealed record MemoryEventStats(ulong Low, ulong High, ulong Max, ulong Oom, ulong OomKill);
