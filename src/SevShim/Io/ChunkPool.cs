namespace SevShim.Io;

/// <summary>
/// The buffers that received stdout/stderr chunks are parsed into (<see cref="OutputChunkCodec"/>).
/// Without it every OutputChunk became a fresh array of the chunk's size (the agent sends up to
/// 256 KiB, OutputPump.ChunkSize): large-object-heap garbage that only a gen2 collection frees, so
/// a burst of output grew the daemon's committed memory (issue #6: shim RSS per pod).
/// Bounded: it keeps at most <see cref="MaxRetained"/> buffers of <see cref="BufferSize"/> bytes; a
/// larger chunk gets an array of its own that is never pooled, and a buffer returned to a full pool
/// is left to the GC. <see cref="Clear"/> drops every kept buffer (MemoryTrimmer calls it once a
/// burst is over, so an idle daemon keeps none).
/// Threading: any thread may rent, return and clear (one lock; a rent or return is a few
/// instructions under it).
/// </summary>
internal sealed class ChunkPool
{
    /// <summary>Size of a pooled buffer: the agent's largest chunk (OutputPump.ChunkSize).</summary>
    public const int BufferSize = 256 * 1024;

    /// <summary>Buffers kept at most: one per busy output stream of a typical pod (stdout and stderr).</summary>
    public const int MaxRetained = 2;

    private readonly Lock _gate = new();
    private readonly Stack<byte[]> _free = new(MaxRetained);
    private long _rentedBytes;

    /// <summary>The daemon's pool, shared by every output stream of the pod.</summary>
    public static ChunkPool Shared { get; } = new();

    /// <summary>
    /// Bytes asked for by every <see cref="Rent"/> so far: the allocation the pool stands in for
    /// (MemoryTrimmer counts it, so a burst of output is still a burst).
    /// </summary>
    public long RentedBytes => Interlocked.Read(ref _rentedBytes);

    /// <summary>How many buffers the pool keeps now.</summary>
    public int RetainedCount
    {
        get
        {
            lock (_gate)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="length"/> bytes; its contents are undefined. Buffers of
    /// <see cref="BufferSize"/> or less come from the pool.
    /// </summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Interlocked.Add(ref _rentedBytes, length);
        if (length > BufferSize)
        {
            return GC.AllocateUninitializedArray<byte>(length);
        }

        lock (_gate)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    /// <summary>Gives back a buffer from <see cref="Rent"/>; the caller must not use it afterwards.</summary>
    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != BufferSize)
        {
            return;
        }

        lock (_gate)
        {
            if (_free.Count < MaxRetained)
            {
                _free.Push(buffer);
            }
        }
    }

    /// <summary>Drops every kept buffer (the next collection frees them).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _free.Clear();
        }
    }
}
