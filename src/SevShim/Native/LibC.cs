using System.Runtime.InteropServices;
using SevRuntime.Posix;

namespace SevShim.Native;

/// <summary>
/// The libc calls only the shim makes (glibc on Linux x86-64), and so not in
/// <see cref="Posix"/>, which holds the calls, flags and errno values the shim shares with the
/// agent, Netlink and Sev: flock for the bundle's lock, an eventfd that lets a pump's poll(2)
/// notice cancellation, ioctl(FIONREAD) to see whether a FIFO's reader has taken what was
/// written, and listen(2) for a unix
/// socket bound before the daemon exists; with the shim's helpers over the shared calls
/// (<see cref="Mount"/>, <see cref="Unmount"/>, <see cref="FileType"/>). Declared with
/// LibraryImport so Native AOT generates the marshalling at build time (Posix's doc comment says
/// why not Tmds.LibC). Every call sets errno for <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibC
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int flock(int fd, int operation);

    public const int LOCK_EX = 2;
    public const int LOCK_UN = 8;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    /// <summary>eventfd(2) flags (the O_ values).</summary>
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    /// <summary>asm-generic/ioctls.h: the bytes waiting to be read, on either end of a pipe or FIFO (pipe(7)).</summary>
    public const nuint FIONREAD = 0x541B;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    /// <summary>sizeof(sockaddr_un.sun_path).</summary>
    public const int SunPathSize = 108;

    /// <summary>mount(2); throws IOException naming the mount on failure.</summary>
    public static void Mount(string source, string target, string? type, ulong flags, string? data)
    {
        if (Posix.mount(source, target, type, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {type ?? "(bind)"} {source} on {target} (flags 0x{flags:x}, data '{data}') failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>umount2(2); returns the errno (0 on success).</summary>
    public static int Unmount(string target, int flags) =>
        Posix.umount2(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// The S_IFMT bits of <paramref name="path"/> (following links), or -1 when it cannot be
    /// read. .NET reports no file types beyond files and folders.
    /// </summary>
    public static int FileType(string path)
    {
        var buffer = stackalloc byte[Posix.StatxSize];
        if (Posix.statx(Posix.AT_FDCWD, path, 0, Posix.STATX_TYPE, buffer) != 0)
        {
            return -1;
        }

        return *(ushort*)(buffer + Posix.StatxModeOffset) & Posix.S_IFMT;
    }

    /// <summary>The owner and group of <paramref name="path"/> (links followed), or null when it cannot be read.</summary>
    public static (uint Uid, uint Gid)? Owner(string path)
    {
        var buffer = stackalloc byte[Posix.StatxSize];
        if (Posix.statx(Posix.AT_FDCWD, path, 0, Posix.STATX_BASIC_STATS, buffer) != 0)
        {
            return null;
        }

        return (*(uint*)(buffer + Posix.StatxUidOffset), *(uint*)(buffer + Posix.StatxGidOffset));
    }
}
