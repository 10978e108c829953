using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// Reads one output fd of a process (a pipe's read end or a pty master) on its own thread into a
/// small bounded queue that one reader drains (the stdio link, or ReadStdout/ReadStderr). The
/// bound makes flow control reach the process: when the shim stops reading, the queue fills, this
/// thread stops reading and the process blocks on its full pipe. Blocking reads run on a
/// dedicated thread, not the thread pool, so idle processes cannot starve the agent.
/// Coalescing (issue 13): under TCG every chunk the agent sends costs the guest's one vCPU far
/// more than its bytes do, and a process writing 4 KiB at a time woke this thread for each, so
/// output went out as 4 to 16 KiB chunks (measured on the host: 600 frames/s, 9 MiB/s). What
/// arrives while the reader is busy is appended to the queue's last chunk (up to
/// <see cref="ChunkSize"/>), so a busy reader gets few large chunks and an idle one gets each write
/// at once. A chunk leaves the queue only once consumed, so a cancelled reader loses nothing and
/// duplicates nothing. Lock: <see cref="_gate"/> guards the queue, <see cref="_taken"/> and
/// <see cref="_eof"/>. The pump owns <see cref="_handle"/> and closes it at EOF.
/// </summary>
internal sealed class OutputPump
{
    /// <summary>Largest chunk, also the pipe size asked for.</summary>
    internal const int ChunkSize = 256 * 1024;

    // Chunks queued before the pump stops reading (the process then blocks on its pipe).
    private const int MaxQueued = 4;

    private readonly SafeFileHandle _handle;
    private readonly string _name;
    // An object, not a Lock: the pump thread waits on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly LinkedList<Chunk> _queue = new();
    private TaskCompletionSource? _dataWaiter;
    private bool _taken;
    private bool _eof;

    // 1 while a reader is attached.
    private int _readerActive;

    public OutputPump(SafeFileHandle handle, string name)
    {
        _handle = handle;
        _name = name;
        // Only a pipe takes this (a pty master refuses it: nothing to do); a failure (above
        // /proc/sys/fs/pipe-max-size) keeps the default size.
        using (var fd = FdLease.Of(handle))
        {
            _ = Posix.fcntl(fd.Value, Posix.F_SETPIPE_SZ, ChunkSize);
        }

        var thread = new Thread(Pump, 128 * 1024) { IsBackground = true, Name = "out " + name };
        thread.Start();
    }

    /// <summary>
    /// Copies queued and future output to <paramref name="write"/> until EOF; each call gets a
    /// whole chunk, in a buffer the pump never touches again (the gRPC adapter wraps it without
    /// a copy). A chunk counts as delivered when the returned task completes.
    /// </summary>
    public Task CopyToAsync(Func<ReadOnlyMemory<byte>, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        DrainAsync(
            async (chunk, ct) =>
            {
                await write(chunk, ct).ConfigureAwait(false);
                return chunk.Length;
            },
            cancellationToken);

    /// <summary>
    /// As <see cref="CopyToAsync"/>, but <paramref name="write"/> may take part of a chunk: it
    /// returns how many bytes it consumed, and is called again with the rest. Bytes not consumed
    /// when the call is cancelled stay queued for the next reader.
    /// </summary>
    public async Task DrainAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<int>> write, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _readerActive, 1, 0) != 0)
        {
            throw AgentException.FailedPrecondition($"{_name} already has a reader: cancel the other stream of it first");
        }

        try
        {
            while (await NextAsync(cancellationToken).ConfigureAwait(false) is { } chunk)
            {
                var offset = 0;
                try
                {
                    while (offset < chunk.Length)
                    {
                        offset += await write(chunk.Buffer.AsMemory(chunk.Start + offset, chunk.Length - offset), cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Settle(chunk, offset);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _readerActive, 0);
        }
    }

    // The head chunk, marked taken (the pump no longer appends to it); null at EOF.
    private async Task<Chunk?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _taken = true;
                    return first.Value;
                }

                if (_eof)
                {
                    return null;
                }

                _dataWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _dataWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // The reader is done with the head chunk: drop what it consumed, keep the rest at the head.
    private void Settle(Chunk chunk, int consumed)
    {
        lock (_gate)
        {
            _taken = false;
            if (consumed >= chunk.Length)
            {
                _queue.RemoveFirst();
            }
            else if (consumed > 0)
            {
                _queue.First!.Value = chunk with { Start = chunk.Start + consumed, Length = chunk.Length - consumed };
            }

            Monitor.PulseAll(_gate);
        }
    }

    private void Pump()
    {
        try
        {
            using var stream = new FileStream(_handle, FileAccess.Read, bufferSize: 0);
            var buffer = new byte[ChunkSize];
            while (true)
            {
                int n;
                try
                {
                    n = stream.Read(buffer, 0, buffer.Length);
                }
                catch (IOException)
                {
                    // A pty master reads EIO once every slave fd is closed: that is its EOF.
                    break;
                }

                if (n <= 0)
                {
                    break;
                }

                Enqueue(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            lock (_gate)
            {
                _eof = true;
                WakeReader();
            }
        }
    }

    // Appends to the last chunk when the reader does not hold it and it has room; else queues a
    // new chunk, waiting (this thread only) while the queue is full.
    private void Enqueue(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            while (true)
            {
                var last = _queue.Last;
                var appendable = last is not null && !(_taken && last == _queue.First);
                if (appendable && last!.Value.Length + data.Length <= ChunkSize)
                {
                    last.Value = last.Value.Append(data);
                    break;
                }

                if (_queue.Count < MaxQueued)
                {
                    _queue.AddLast(Chunk.Of(data));
                    break;
                }

                Monitor.Wait(_gate);
            }

            WakeReader();
        }
    }

    private void WakeReader()
    {
        var waiter = _dataWaiter;
        _dataWaiter = null;
        waiter?.TrySetResult();
    }

    /// <summary>Queued bytes <c>Buffer[Start..Start+Length]</c>; the buffer grows by doubling up to ChunkSize while it is the queue's last.</summary>
    private sealed record Chunk(byte[] Buffer, int Start, int Length)
    {
        public static Chunk Of(ReadOnlySpan<byte> data)
        {
            var buffer = GC.AllocateUninitializedArray<byte>((data.Length + 4095) & ~4095);
            data.CopyTo(buffer);
            return new Chunk(buffer, 0, data.Length);
        }

        public Chunk Append(ReadOnlySpan<byte> data)
        {
            var buffer = Buffer;
            var end = Start + Length;
            if (end + data.Length > buffer.Length)
            {
                var grown = GC.AllocateUninitializedArray<byte>(Math.Min(ChunkSize, Math.Max(Length + data.Length, buffer.Length * 2)));
                Buffer.AsSpan(Start, Length).CopyTo(grown);
                buffer = grown;
                end = Length;
                data.CopyTo(buffer.AsSpan(end));
                return new Chunk(buffer, 0, Length + data.Length);
            }

            data.CopyTo(buffer.AsSpan(end));
            return this with { Length = Length + data.Length };
        }
    }
}
