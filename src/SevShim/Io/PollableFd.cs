using System.Runtime.InteropServices;

namespace SevShim.Io;

/// <summary>
/// A non-blocking file descriptor (FIFO or regular file) read or written by one pump thread.
/// Waits use poll(2) in short slices so cancellation is noticed without closing the fd under a
/// blocked call (closing an fd another thread blocks on does not wake it on Linux).
/// Ownership: owns the fd; one reader or writer thread at a time, <see cref="Dispose"/> from any
/// thread once that thread is done (or cancelled).
/// </summary>
internal sealed class PollableFd : IDisposable
{
    private const int SliceMs = 200;
    private int _fd;

    /// <summary>Takes ownership of <paramref name="fd"/>, which must have O_NONBLOCK set.</summary>
    public PollableFd(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The path it was opened from (for messages).</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/> with O_NONBLOCK|O_CLOEXEC added to <paramref name="flags"/>.</summary>
    public static PollableFd Open(string path, int flags, int mode = 0)
    {
        var fd = IoNative.Open(path, flags | IoNative.O_NONBLOCK | IoNative.O_CLOEXEC, mode);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        return new PollableFd(fd, path);
    }

    /// <summary>Reads up to buffer.Length bytes; 0 means end of file (every writer closed).</summary>
    public unsafe int Read(Span<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nint n;
            fixed (byte* p = buffer)
            {
                n = IoNative.Read(Fd, p, buffer.Length);
            }

            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == IoNative.EAGAIN)
            {
                Wait(IoNative.POLLIN);
            }
            else if (errno != IoNative.EINTR)
            {
                throw new IOException($"reading {Path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/>, waiting for room (back-pressure from a slow reader).</summary>
    public unsafe void WriteAll(ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nint n;
            fixed (byte* p = data)
            {
                n = IoNative.Write(Fd, p, data.Length);
            }

            if (n >= 0)
            {
                data = data[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == IoNative.EAGAIN)
            {
                Wait(IoNative.POLLOUT);
            }
            else if (errno != IoNative.EINTR)
            {
                throw new IOException($"writing {Path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = IoNative.Close(fd);
        }
    }

    private int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(Path);

    private unsafe void Wait(short events)
    {
        var pfd = new IoNative.PollFd { Fd = Fd, Events = events };
        // One slice; the caller's loop re-checks cancellation and retries the read or write.
        _ = IoNative.Poll(&pfd, 1, SliceMs);
    }
}
