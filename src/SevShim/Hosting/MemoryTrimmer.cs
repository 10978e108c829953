using System.Buffers;
using Serilog;

namespace SevShim.Hosting;

/// <summary>
/// Gives the GC's unused committed memory back to the kernel once a burst of work is over (issue
/// #6: shim RSS per pod). The workstation GC keeps what a burst committed: the garbage a burst
/// leaves in gen0 stays committed until the next collection, and an idle daemon runs none; after
/// 32 MiB of a container's stdout the heap held 3.2 MiB of objects in 10.7 MiB committed. No GC
/// setting changed that by more than about 1 MiB (DOTNET_GCgen0size, GCgen0MaxBudget,
/// GCRegionSize, GCConserveMemory, gcConcurrent: measured); an aggressive collection did
/// (committed 10.7 to 3.2 MiB, the daemon's RSS 31.3 to 23.9 MiB).
/// So every <see cref="Period"/> the trimmer reads the allocation counter; when less than
/// <see cref="QuietBytes"/> was allocated during the last period (the burst is over) and at least
/// <see cref="MinAllocatedBytes"/> since the last trim (there is something to give back), it runs
/// one blocking, compacting, aggressive collection: a few milliseconds for a heap of a few MiB,
/// and at most one per <see cref="MinAllocatedBytes"/> allocated, after taking the pooled buffers
/// out of Io.ChunkPool and ArrayPool&lt;byte&gt;.Shared (<see cref="DrainSharedArrayPool"/>), and
/// one follow-up collection <see cref="FollowUpTicks"/> later. Nothing is capped: the heap still
/// grows as a load needs, so no load can make the shim fail for want of a limit.
/// Threading: ticks run on a thread-pool timer and are serialised by <c>_gate</c>.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    /// <summary>How often the allocation counter is read (an idle daemon wakes this often).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    /// <summary>Allocation within one period below which the daemon counts as quiet.</summary>
    public const long QuietBytes = 256L << 10;

    /// <summary>Allocation since the last trim below which a trim is not worth its pause.</summary>
    public const long MinAllocatedBytes = 4L << 20;

    /// <summary>
    /// Ticks from a trim to its one follow-up collection (at a quiet tick, whatever was allocated):
    /// longer than the 20 s after which an idle thread-pool thread exits (the .NET thread pool's
    /// default), taking with it the array ArrayPool&lt;byte&gt;.Shared keeps per size in its
    /// thread-local slot (<see cref="DrainSharedArrayPool"/> reaches only the trimming thread's),
    /// which only a collection after that frees (measured after 512 MiB of stdout: heap 4.0 to
    /// 3.0 MiB, daemon RSS 21.3 to 20.3 MiB).
    /// </summary>
    public const int FollowUpTicks = 30;

    private readonly Func<GcFigures> _measure;
    private readonly Action _collect;
    private readonly Action<GcFigures, GcFigures>? _trimmed;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private long _allocatedAtLastTick;
    private long _allocatedAtLastTrim;
    private int _followUpIn;
    private bool _disposed;

    /// <param name="measure">The GC figures now.</param>
    /// <param name="collect">The collection that gives memory back.</param>
    /// <param name="period">The time between ticks; <see cref="Timeout.InfiniteTimeSpan"/> for none (tests call <see cref="Tick"/>).</param>
    /// <param name="trimmed">Told the figures before and after each trim (logging).</param>
    public MemoryTrimmer(Func<GcFigures> measure, Action collect, TimeSpan period, Action<GcFigures, GcFigures>? trimmed = null)
    {
        ArgumentNullException.ThrowIfNull(measure);
        ArgumentNullException.ThrowIfNull(collect);
        _measure = measure;
        _collect = collect;
        _trimmed = trimmed;
        _allocatedAtLastTick = measure().AllocatedBytes;
        _timer = new Timer(_ => Tick(), null, period, period);
    }

    /// <summary>The daemon's trimmer: the process's own GC, trims logged at debug level.</summary>
    public static MemoryTrimmer ForThisProcess(ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new MemoryTrimmer(
            MeasureThisProcess,
            () =>
            {
                // The output buffers kept for the next burst go too (Io.ChunkPool: up to 512 KiB).
                Io.ChunkPool.Shared.Clear();
                DrainSharedArrayPool();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            },
            Period,
            (before, after) => log.Debug(
                "memory trimmed: GC committed {Before} KiB -> {After} KiB, heap {Heap} KiB",
                before.CommittedBytes / 1024,
                after.CommittedBytes / 1024,
                after.HeapBytes / 1024));
    }

    /// <summary>Smallest array size <see cref="DrainSharedArrayPool"/> takes out (SocketsHttpHandler's HTTP/2 blocks).</summary>
    internal const int DrainFromBytes = 16 << 10;

    /// <summary>Largest array size <see cref="DrainSharedArrayPool"/> takes out (a 512 KiB output message's buffer and one size up).</summary>
    internal const int DrainToBytes = 1 << 20;

    /// <summary>
    /// Takes the arrays of <see cref="DrainFromBytes"/> to <see cref="DrainToBytes"/> out of
    /// ArrayPool&lt;byte&gt;.Shared (this thread's slot and every per-core stack) so the collection
    /// frees them, and returns how many it took. Grpc.Net.Client rents a message-sized array per
    /// received message (512 KiB for a 256 KiB output chunk) and SocketsHttpHandler 16 KiB blocks
    /// for HTTP/2 data; the shared pool keeps up to 32 arrays per size and core and gives back at
    /// most one per size and core per gen2 collection, and only after 60 s (the runtime's
    /// SharedArrayPool.Trim at low memory pressure): after 512 MiB of stdout they stayed live (heap
    /// 7.1 MiB after the trim against 1.7 MiB idle; 4.0 MiB with this drain, measured). A rent that
    /// allocates (the allocation counter grew by the array) means that size's stacks are empty;
    /// that array is dropped too. Other threads' slots are out of reach (<see cref="FollowUpTicks"/>).
    /// </summary>
    internal static int DrainSharedArrayPool()
    {
        var taken = 0;
        for (var size = DrainFromBytes; size <= DrainToBytes; size *= 2)
        {
            // Bounded, should other threads return arrays meanwhile (the pool keeps 32 per core).
            for (var i = 0; i < 1024; i++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                _ = ArrayPool<byte>.Shared.Rent(size);
                if (GC.GetAllocatedBytesForCurrentThread() - before >= size)
                {
                    break;
                }

                taken++;
            }
        }

        return taken;
    }

    // Output chunks arrive in pooled buffers (Io.ChunkPool), so a burst of stdout allocates little:
    // the pool's rented bytes count as allocation, or the daemon would look quiet during the burst
    // (and trim in the middle of it) and too little would have been allocated for a trim after it.
    private static GcFigures MeasureThisProcess()
    {
        var figures = GcFigures.Current();
        return figures with { AllocatedBytes = figures.AllocatedBytes + Io.ChunkPool.Shared.RentedBytes };
    }

    /// <summary>Whether to trim, from the allocation counter now, at the last tick and at the last trim.</summary>
    public static bool ShouldTrim(long allocated, long allocatedAtLastTick, long allocatedAtLastTrim) =>
        allocated - allocatedAtLastTick < QuietBytes && allocated - allocatedAtLastTrim >= MinAllocatedBytes;

    /// <summary>
    /// One reading of the counter; trims if <see cref="ShouldTrim"/> says so or the last trim's
    /// follow-up is due (<see cref="FollowUpTicks"/>), and returns whether it did.
    /// </summary>
    public bool Tick()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            var before = _measure();
            var quietSince = _allocatedAtLastTick;
            _allocatedAtLastTick = before.AllocatedBytes;
            var trim = ShouldTrim(before.AllocatedBytes, quietSince, _allocatedAtLastTrim);
            var followUp = false;
            if (!trim && _followUpIn > 0 && --_followUpIn == 0)
            {
                // Due: now if this period was quiet, else at the next quiet tick.
                followUp = before.AllocatedBytes - quietSince < QuietBytes;
                _followUpIn = followUp ? 0 : 1;
            }

            if (!trim && !followUp)
            {
                return false;
            }

            _collect();
            var after = _measure();
            _allocatedAtLastTrim = after.AllocatedBytes;
            _allocatedAtLastTick = after.AllocatedBytes;
            _followUpIn = trim ? FollowUpTicks : 0;
            _trimmed?.Invoke(before, after);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }
}
