namespace SevShim.Sandbox;

/// <summary>
/// memory.current/max, memory.swap.current/max and the main memory.stat counters, in bytes
/// (page fault counters are counts).
/// </summary>
internal sealed record MemoryStats(
    ulong Usage,
    ulong UsageLimit,
    ulong SwapUsage,
    ulong SwapLimit,
    ulong Anon,
    ulong File,
    ulong KernelStack,
    ulong Slab,
    ulong Sock,
    ulong Shmem,
    ulong InactiveFile,
    ulong ActiveFile,
    ulong PgFault,
    ulong PgMajFault);
