using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// Reads one output fd of a process (a pipe's read end or a pty master) on its own thread into a
/// small bounded queue; ReadStdout/ReadStderr drain the queue. The bound makes HTTP/2 flow
/// control reach the process: when the shim stops reading, the queue fills, this thread stops
/// reading and the process blocks on its full pipe. A chunk leaves the queue only after it was
/// handed to the response stream, so a cancelled call loses nothing. Blocking reads run on a
/// dedicated thread, not the thread pool, so idle processes cannot starve the gRPC server.
/// The pump owns <see cref="_handle"/> and closes it at EOF.
/// Reads are large (issue #6): under TCG each gRPC message costs the guest far more CPU than its
/// bytes do, so a pipe is enlarged to <see cref="ChunkSize"/> (F_SETPIPE_SZ) and, whenever the
/// stream is the slower side, one read takes what the process wrote meanwhile.
/// </summary>
internal sealed class OutputPump
{
    /// <summary>Largest read, hence largest OutputChunk message; also the pipe size asked for.</summary>
    internal const int ChunkSize = 256 * 1024;

    // fcntl(2) F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7).
    private const int FSetPipeSize = 1031;

    private readonly SafeFileHandle _handle;
    private readonly string _name;
    private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    // 1 while a call is draining the queue.
    private int _readerActive;

    public OutputPump(SafeFileHandle handle, string name)
    {
        _handle = handle;
        _name = name;
        // Only a pipe takes this (a pty master refuses it: nothing to do); a failure (above
        // /proc/sys/fs/pipe-max-size) keeps the default size.
        _ = Native.LibC.fcntl((int)handle.DangerousGetHandle(), FSetPipeSize, ChunkSize);
        var thread = new Thread(Pump, 128 * 1024) { IsBackground = true, Name = "out " + name };
        thread.Start();
    }

    /// <summary>
    /// Copies queued and future output to <paramref name="write"/> until EOF. Each chunk is a
    /// buffer of its own that the pump never touches again, so the writer may keep it (the gRPC
    /// adapter wraps it into a message without a copy); a chunk counts as delivered when the
    /// returned task completes.
    /// </summary>
    public async Task CopyToAsync(Func<ReadOnlyMemory<byte>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _readerActive, 1, 0) != 0)
        {
            throw AgentException.FailedPrecondition($"{_name} already has a reader: cancel the other ReadStdout/ReadStderr call first");
        }

        try
        {
            var reader = _chunks.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryPeek(out var chunk))
                {
                    await write(chunk, cancellationToken).ConfigureAwait(false);
                    reader.TryRead(out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _readerActive, 0);
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

                _chunks.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray()).AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            _chunks.Writer.TryComplete();
        }
    }
}
