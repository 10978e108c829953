using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>Small fd helpers: pipes and /dev/null, all O_CLOEXEC.</summary>
internal static unsafe class Fd
{
    /// <summary>Creates a pipe; returns (read end, write end), both owned by the caller.</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (LibC.pipe2(fds, Posix.O_CLOEXEC) < 0)
        {
            throw new IOException("pipe2 failed: " + Posix.LastError());
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Opens /dev/null read-write.</summary>
    public static SafeFileHandle DevNull()
    {
        var handle = Posix.OpenHandle("/dev/null", Posix.O_RDWR | Posix.O_CLOEXEC);
        return handle.IsInvalid ? throw new IOException("open /dev/null failed: " + Posix.LastError()) : handle;
    }

    /// <summary>Duplicates <paramref name="handle"/> (F_DUPFD_CLOEXEC); the copy is owned by the caller.</summary>
    public static SafeFileHandle Duplicate(SafeFileHandle handle)
    {
        using var lease = FdLease.Of(handle);
        var fd = Posix.fcntl(lease.Value, Posix.F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
        {
            throw new IOException("fcntl(F_DUPFD_CLOEXEC) failed: " + Posix.LastError());
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
