using System.Buffers;
using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class MemoryTrimmerTests
{
    private const long KiB = 1L << 10;
    private const long MiB = 1L << 20;

    [Theory]
    [InlineData(0, 4 * MiB, true)]
    [InlineData(255 * KiB, 40 * MiB, true)]
    [InlineData(256 * KiB, 40 * MiB, false)] // still allocating: the burst goes on
    [InlineData(0, (4 * MiB) - 1, false)] // too little since the last trim
    [InlineData(0, 0, false)]
    public void TrimsOnlyWhenQuietAfterEnoughAllocation(long sinceLastTick, long sinceLastTrim, bool expected)
    {
        const long now = 100 * MiB;
        Assert.Equal(expected, MemoryTrimmer.ShouldTrim(now, now - sinceLastTick, now - sinceLastTrim));
    }

    [Fact]
    public void TrimsAfterABurstOnceThenWaitsForTheNext()
    {
        var figures = new GcFigures(CommittedBytes: 3 * MiB, HeapBytes: 1 * MiB, AllocatedBytes: 7 * MiB);
        var collections = 0;
        var trims = new List<(GcFigures Before, GcFigures After)>();
        using var trimmer = new MemoryTrimmer(
            () => figures,
            () =>
            {
                collections++;
                figures = figures with { CommittedBytes = 2 * MiB };
            },
            Timeout.InfiniteTimeSpan,
            (before, after) => trims.Add((before, after)));

        // A burst: 30 MiB during one period, then a quiet one.
        figures = figures with { CommittedBytes = 11 * MiB, AllocatedBytes = 37 * MiB };
        Assert.False(trimmer.Tick());
        Assert.True(trimmer.Tick());
        Assert.Equal(1, collections);
        Assert.Equal(11 * MiB, Assert.Single(trims).Before.CommittedBytes);
        Assert.Equal(2 * MiB, trims[0].After.CommittedBytes);

        // Idle, or a trickle that never adds up to a burst: no more collections.
        Assert.False(trimmer.Tick());
        figures = figures with { AllocatedBytes = figures.AllocatedBytes + (3 * MiB) };
        Assert.False(trimmer.Tick());
        Assert.False(trimmer.Tick());
        Assert.Equal(1, collections);

        // The next burst is trimmed too.
        figures = figures with { AllocatedBytes = figures.AllocatedBytes + (2 * MiB) };
        Assert.False(trimmer.Tick());
        Assert.True(trimmer.Tick());
        Assert.Equal(2, collections);
    }

    [Fact]
    public void ATrimIsFollowedByOneMoreCollectionAfterFollowUpTicksOnceQuiet()
    {
        var allocated = 0L;
        var collections = 0;
        using var trimmer = new MemoryTrimmer(() => new GcFigures(3 * MiB, 1 * MiB, allocated), () => collections++, Timeout.InfiniteTimeSpan);
        allocated = 10 * MiB;
        Assert.False(trimmer.Tick()); // the burst
        Assert.True(trimmer.Tick());
        for (var i = 1; i < MemoryTrimmer.FollowUpTicks; i++)
        {
            Assert.False(trimmer.Tick());
        }

        // Due, but this period is busy (without reaching MinAllocatedBytes): the next quiet tick.
        allocated += 1 * MiB;
        Assert.False(trimmer.Tick());
        Assert.True(trimmer.Tick());
        Assert.Equal(2, collections);

        // Only one follow-up per trim.
        for (var i = 0; i < 3 * MemoryTrimmer.FollowUpTicks; i++)
        {
            Assert.False(trimmer.Tick());
        }

        Assert.Equal(2, collections);
    }

    [Fact]
    public void DrainingTheSharedArrayPoolTakesOutWhatWasReturned()
    {
        MemoryTrimmer.DrainSharedArrayPool();
        var returned = Enumerable.Range(0, 3).Select(_ => ArrayPool<byte>.Shared.Rent(512 * 1024)).ToList();
        returned.ForEach(a => ArrayPool<byte>.Shared.Return(a));
        Assert.True(MemoryTrimmer.DrainSharedArrayPool() >= returned.Count);
        // Empty now: the next rent of that size allocates.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var fresh = ArrayPool<byte>.Shared.Rent(512 * 1024);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before >= fresh.Length);
        Assert.DoesNotContain(returned, a => ReferenceEquals(a, fresh));
    }

    [Fact]
    public void NeverTrimsOnceDisposed()
    {
        var allocated = 0L;
        var collections = 0;
        var trimmer = new MemoryTrimmer(() => new GcFigures(20 * MiB, 1 * MiB, allocated), () => collections++, Timeout.InfiniteTimeSpan);
        allocated = 50 * MiB;
        trimmer.Dispose();

        Assert.False(trimmer.Tick());
        Assert.False(trimmer.Tick());
        Assert.Equal(0, collections);
    }

    [Fact]
    public async Task TheTimerTicks()
    {
        var ticks = 0;
        var ticked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var trimmer = new MemoryTrimmer(
            () =>
            {
                // The constructor's reading is the first; the timer's come after it.
                if (Interlocked.Increment(ref ticks) >= 2)
                {
                    ticked.TrySetResult();
                }

                return new GcFigures(1 * MiB, 1 * MiB, 0);
            },
            () => { },
            TimeSpan.FromMilliseconds(10));

        await ticked.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(Volatile.Read(ref ticks) >= 2);
    }
}
