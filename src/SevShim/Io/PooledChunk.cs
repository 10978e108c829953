namespace SevShim.Io;

/// <summary>
/// One received OutputChunk's data in a buffer rented from a <see cref="ChunkPool"/>.
/// Ownership: the receiver owns it until <see cref="Dispose"/>, which gives the buffer back; the
/// data must not be used after that. Not thread-safe (one pump handles one chunk at a time).
/// </summary>
internal sealed class PooledChunk : IDisposable
{
    private readonly ChunkPool _pool;
    private byte[]? _buffer;

    /// <param name="pool">Where <paramref name="buffer"/> goes back on <see cref="Dispose"/>.</param>
    /// <param name="buffer">A buffer rented from <paramref name="pool"/>; the data is its first <paramref name="length"/> bytes.</param>
    /// <param name="length">The data's length.</param>
    public PooledChunk(ChunkPool pool, byte[] buffer, int length)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, buffer.Length);
        _pool = pool;
        _buffer = buffer;
        Length = length;
    }

    /// <summary>The data's length in bytes.</summary>
    public int Length { get; }

    /// <summary>The data (valid until <see cref="Dispose"/>).</summary>
    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(PooledChunk))).AsSpan(0, Length);

    /// <summary>Gives the buffer back to the pool (once; later calls do nothing).</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            _pool.Return(buffer);
        }
    }
}
