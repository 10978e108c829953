using System.Runtime.InteropServices;

namespace SevShim.Native;

/// <summary>
/// Every libc call of the shim, in one place (glibc on Linux x86-64; constants from the kernel
/// and glibc headers): what .NET does not expose (posix_spawn with setsid and a signal mask for
/// the daemon and QEMU, flock, prctl(PR_SET_CHILD_SUBREAPER), a non-blocking FIFO open, whose
/// blocking form waits for its peer (SHIM-PROTOCOL.md 5), poll(2) with an eventfd so a pump can
/// wait for data or room and still notice cancellation, mount(2) and umount2(2), statx(2) for
/// file types beyond files and folders, ioctl(FIONREAD) to see
/// whether a FIFO's reader has taken what was written, and a listening unix socket bound before the daemon
/// exists). Declared with LibraryImport so Native AOT generates the marshalling at build time;
/// Tmds.LibC's DllImport declarations take byte* paths and its own mode_t, and would not remove
/// one line here. Every call sets errno for <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibC
{
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int LOCK_EX = 2;
    public const int LOCK_UN = 8;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_DIRECTORY = 0x10000;
    public const int MNT_DETACH = 2;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int EADDRINUSE = 98;
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;

    /// <summary>sizeof(sockaddr_un.sun_path).</summary>
    public const int SunPathSize = 108;
    public const int EINTR = 4;
    public const int ENXIO = 6;

    /// <summary>glibc's posix_spawn flags (spawn.h).</summary>
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    /// <summary>sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on x86-64; room to spare.</summary>
    public const int SpawnStructSize = 512;

    /// <summary>sizeof(sigset_t) in glibc.</summary>
    public const int SigSetSize = 128;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigemptyset(void* set);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigfillset(void* set);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int flock(int fd, int operation);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    /// <summary>asm-generic/ioctls.h: the bytes waiting to be read, on either end of a pipe or FIFO (pipe(7)).</summary>
    public const nuint FIONREAD = 0x541B;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, int* value);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountRaw(string source, string target, string? type, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, byte* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    /// <summary>eventfd(2) flags (the O_ values).</summary>
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    public const int S_IFMT = 0xF000;
    public const int S_IFIFO = 0x1000;
    public const int S_IFREG = 0x8000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFSOCK = 0xC000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFBLK = 0x6000;

    public const ulong MS_RDONLY = 0x1;
    public const ulong MS_NOSUID = 0x2;
    public const ulong MS_NODEV = 0x4;
    public const ulong MS_NOEXEC = 0x8;
    public const ulong MS_REMOUNT = 0x20;
    public const ulong MS_BIND = 0x1000;
    public const ulong MS_REC = 0x4000;
    public const ulong MS_PRIVATE = 0x40000;

    private const int AtFdCwd = -100;
    private const uint StatxType = 1;

    /// <summary>errno of the last call, as text for error messages.</summary>
    public static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    /// <summary>mount(2); throws IOException naming the mount on failure.</summary>
    public static void Mount(string source, string target, string? type, ulong flags, string? data)
    {
        if (MountRaw(source, target, type, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {type ?? "(bind)"} {source} on {target} (flags 0x{flags:x}, data '{data}') failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>umount2(2); returns the errno (0 on success).</summary>
    public static int Unmount(string target, int flags) =>
        umount2(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// The S_IFMT bits of <paramref name="path"/> (following links), or -1 when it cannot be
    /// read. .NET reports no file types beyond files and folders; statx(2) is used because its
    /// struct layout is the same on every architecture (stx_mode is the u16 at offset 28).
    /// </summary>
    public static int FileType(string path)
    {
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            return -1;
        }

        return *(ushort*)(buffer + 28) & S_IFMT;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
