namespace SevShim.Hosting;

/// <summary>
/// The GC figures <see cref="MemoryTrimmer"/> decides on: memory the GC has committed and the size
/// of the heap (objects and fragmentation), both as of the last collection, and the bytes allocated
/// since the process started.
/// </summary>
internal readonly record struct GcFigures(long CommittedBytes, long HeapBytes, long AllocatedBytes)
{
    /// <summary>Committed memory that holds no object: what an aggressive collection can give back.</summary>
    public long SlackBytes => CommittedBytes - HeapBytes;

    /// <summary>This process's figures now.</summary>
    public static GcFigures Current()
    {
        var info = GC.GetGCMemoryInfo();
        return new GcFigures(info.TotalCommittedBytes, info.HeapSizeBytes, GC.GetTotalAllocatedBytes(precise: false));
    }
}
