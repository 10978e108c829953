using SevShim.Io;

namespace SevShim.Tests.Io;

public sealed class ChunkPoolTests
{
    [Fact]
    public void KeepsAtMostMaxRetainedBuffersAndClearDropsThem()
    {
        var pool = new ChunkPool();
        var rented = Enumerable.Range(0, ChunkPool.MaxRetained + 2).Select(_ => pool.Rent(10)).ToList();
        Assert.All(rented, b => Assert.Equal(ChunkPool.BufferSize, b.Length));
        Assert.Equal(rented.Count, rented.Distinct().Count());
        foreach (var buffer in rented)
        {
            pool.Return(buffer);
        }

        Assert.Equal(ChunkPool.MaxRetained, pool.RetainedCount);
        Assert.Contains(pool.Rent(ChunkPool.BufferSize), rented);
        pool.Clear();
        Assert.Equal(0, pool.RetainedCount);
    }

    [Fact]
    public void ALargerChunkGetsItsOwnArrayThatIsNeverPooled()
    {
        var pool = new ChunkPool();
        var big = pool.Rent(ChunkPool.BufferSize + 1);
        Assert.Equal(ChunkPool.BufferSize + 1, big.Length);
        pool.Return(big);
        Assert.Equal(0, pool.RetainedCount);
    }

    [Fact]
    public void CountsTheBytesAskedForAsTheAllocationItStandsIn()
    {
        var pool = new ChunkPool();
        pool.Return(pool.Rent(100));
        pool.Rent(ChunkPool.BufferSize + 5);
        pool.Rent(0);
        Assert.Equal(100 + ChunkPool.BufferSize + 5, pool.RentedBytes);
    }
}
