using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Io;

/// <summary>
/// A non-blocking file descriptor (FIFO or regular file) read or written by one pump thread.
/// Waits poll(2) the fd together with an eventfd that the caller's cancellation token signals,
/// so a cancelled pump returns at once (closing an fd another thread blocks on does not wake it
/// on Linux); before this, polls in 200 ms slices made every exec delete and pod teardown wait
/// up to a slice for an idle stdin pump (issue 6). The slice stays as a safety net.
/// Ownership: owns the fd and the eventfd (each through a SafeFileHandle, leased for every call so
/// a Dispose racing a call cannot close a number still in use) and the token registration; one
/// reader or writer thread at a time, <see cref="Dispose"/> from any thread once that thread is
/// done (or cancelled).
/// </summary>
internal sealed class PollableFd : IDisposable
{
    private const int SliceMs = 200;
    private readonly SafeFileHandle _handle;

    // The wake-up for waits under _registeredFor (created at the first cancellable wait; a pump
    // uses one token for its life, so this registers once). Touched only by the pump thread and
    // by Dispose, which the contract above orders after it.
    private SafeFileHandle? _wake;
    private CancellationToken _registeredFor;
    private CancellationTokenRegistration _registration;

    /// <summary>Takes ownership of <paramref name="handle"/>, whose descriptor must have O_NONBLOCK set.</summary>
    public PollableFd(SafeFileHandle handle, string path)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _handle = handle;
        Path = path;
    }

    /// <summary>The path it was opened from (for messages).</summary>
    public string Path { get; }

    /// <summary>Whether the fd is a FIFO (<see cref="WaitForReader"/> applies only to one).</summary>
    public bool IsFifo { get; private init; }

    /// <summary>Opens <paramref name="path"/> with O_NONBLOCK|O_CLOEXEC added to <paramref name="flags"/>.</summary>
    public static PollableFd Open(string path, int flags, int mode = 0) => Open(path, flags, mode, fifo: false);

    /// <summary>Opens the FIFO at <paramref name="path"/> with O_NONBLOCK|O_CLOEXEC added to <paramref name="flags"/>.</summary>
    public static PollableFd OpenFifo(string path, int flags) => Open(path, flags, 0, fifo: true);

    private static PollableFd Open(string path, int flags, int mode, bool fifo)
    {
        var handle = Posix.OpenHandle(path, flags | Posix.O_NONBLOCK | Posix.O_CLOEXEC, (uint)mode);
        if (handle.IsInvalid)
        {
            throw new IOException($"cannot open {path}: {Posix.LastError()}");
        }

        return new PollableFd(handle, path) { IsFifo = fifo };
    }

    /// <summary>Reads up to buffer.Length bytes; 0 means end of file (every writer closed).</summary>
    public unsafe int Read(Span<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nint n;
            using (var fd = Lease())
            fixed (byte* p = buffer)
            {
                n = Posix.read(fd.Value, p, (nuint)buffer.Length);
            }

            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Posix.EAGAIN)
            {
                Wait(Posix.POLLIN, cancellationToken);
            }
            else if (errno != Posix.EINTR)
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
            using (var fd = Lease())
            fixed (byte* p = data)
            {
                n = Posix.write(fd.Value, p, (nuint)data.Length);
            }

            if (n >= 0)
            {
                data = data[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Posix.EAGAIN)
            {
                Wait(Posix.POLLOUT, cancellationToken);
            }
            else if (errno != Posix.EINTR)
            {
                throw new IOException($"writing {Path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    /// <summary>
    /// For an output FIFO: waits until its reader has taken every byte written, as FIONREAD on
    /// this end counts (pipe(7)). Why: containerd's cio closes the client's reader at task delete
    /// without draining it, so a client (ctr) that lags behind the exit it is told of loses what
    /// is still in the pipe (a 32 KiB buffer was seen under load, with runc's shim too); holding
    /// the exit until the pipe is empty closes that window. Gives up when the count has not gone
    /// down for <paramref name="stall"/> (a client that is gone: our own O_RDWR reader keeps the
    /// pipe open, so the bytes would wait forever), or on cancellation. Returns the bytes left.
    /// Not a FIFO, or FIONREAD refused: returns 0 at once.
    /// </summary>
    public unsafe int WaitForReader(TimeSpan stall, CancellationToken cancellationToken)
    {
        if (!IsFifo)
        {
            return 0;
        }

        var last = int.MaxValue;
        var stalledSince = Environment.TickCount64;
        var pauseMs = 1;
        while (true)
        {
            int pending;
            using (var fd = Lease())
            {
                if (Posix.ioctl(fd.Value, LibC.FIONREAD, &pending) < 0 || pending <= 0)
                {
                    return 0;
                }
            }

            var now = Environment.TickCount64;
            if (pending < last)
            {
                (last, stalledSince) = (pending, now);
            }
            else if (now - stalledSince >= stall.TotalMilliseconds)
            {
                return pending;
            }

            // Short pauses first: a reader that keeps up empties a 64 KiB pipe in microseconds.
            if (cancellationToken.WaitHandle.WaitOne(pauseMs))
            {
                return pending;
            }

            pauseMs = Math.Min(pauseMs * 2, 50);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // The registration first: its Dispose waits for a callback still running, which must not
        // write to the eventfd's number after it was closed (and perhaps reused).
        _registration.Dispose();
        Interlocked.Exchange(ref _wake, null)?.Dispose();
        _handle.Dispose();
    }

    // The fd for one call; ObjectDisposedException naming the path once disposed.
    private FdLease Lease()
    {
        try
        {
            return FdLease.Of(_handle);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(Path);
        }
    }

    private unsafe void Wait(short events, CancellationToken cancellationToken)
    {
        var fds = stackalloc PollFd[2];
        using var fd = Lease();
        fds[0] = new PollFd { Fd = fd.Value, Events = events };
        var count = 1u;
        var wakeHandle = WakeFor(cancellationToken);
        // No wake-up handle: the default lease holds nothing and its Dispose does nothing.
        using var wake = wakeHandle is null ? default : FdLease.Of(wakeHandle);
        if (wakeHandle is not null)
        {
            fds[1] = new PollFd { Fd = wake.Value, Events = Posix.POLLIN };
            count = 2;
        }

        // One wait; the caller's loop re-checks cancellation and retries the read or write.
        _ = Posix.poll(fds, count, SliceMs);
    }

    // The eventfd signalled when cancellationToken is cancelled, or null (a token that cannot be
    // cancelled, or no eventfd: then the slice alone bounds the wait). The eventfd is never read:
    // once signalled, the token is cancelled and no further wait happens.
    private SafeFileHandle? WakeFor(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return null;
        }

        if (_wake is null)
        {
            var created = Posix.Own(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK));
            if (created.IsInvalid)
            {
                return null;
            }

            _wake = created;
        }

        if (_registeredFor != cancellationToken)
        {
            _registration.Dispose();
            _registeredFor = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(static state => ((PollableFd)state!).Wake(), this);
        }

        return _wake;
    }

    private unsafe void Wake()
    {
        if (Volatile.Read(ref _wake) is not { } wake)
        {
            return;
        }

        try
        {
            using var fd = FdLease.Of(wake);
            ulong one = 1;
            _ = Posix.write(fd.Value, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: nobody waits on it any more.
        }
    }
}
