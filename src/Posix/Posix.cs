using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SevRuntime.Posix;

/// <summary>
/// The libc calls that more than one assembly makes (the shim, the agent, Netlink, Sev), each
/// declared once, with the constants and structs of those calls: a flag family stays whole here
/// (every O_, F_, POLL, MS_, S_IF value, every errno any assembly tests for) even where one
/// assembly alone uses a member, so a caller never looks for a flag in two places. A call only
/// one assembly makes stays in that assembly's own file (SevShim.Native.LibC,
/// SevAgent.Native.LibC, Netlink.NetlinkNative, Sev.Interop.LibC), as do ioctl request numbers,
/// which belong to their device's code.
/// glibc on Linux x86-64; constants from the kernel and glibc headers. These are what .NET does
/// not expose: posix_spawn with setsid and a signal mask (fork() in a multi-threaded .NET process
/// is unsafe), prctl(PR_SET_CHILD_SUBREAPER), a non-blocking open (a FIFO's blocking open waits
/// for its peer, SHIM-PROTOCOL.md 5), poll(2) on raw fds, mount(2) and umount2(2), statx(2) for
/// file types beyond files and folders (its layout is the same on every architecture, unlike
/// struct stat's), raw sockets and ioctls.
/// Declared with LibraryImport so that Native AOT generates the marshalling at build time.
/// Tmds.LibC is not used: it lacks posix_spawn, flock, prctl, inotify and realpath, and its
/// DllImport declarations take byte* paths and its own mode_t, so it would not remove one line.
/// Every call that can fail sets errno (SetLastError) for <see cref="LastError"/> or
/// <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class Posix
{
    // errno values (asm-generic/errno-base.h, errno.h).
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int EPIPE = 32;
    public const int EADDRINUSE = 98;

    /// <summary>The message for the last P/Invoke's errno, e.g. "No such file or directory (errno 2)".</summary>
    public static string LastError() => ErrorText(Marshal.GetLastPInvokeError());

    /// <summary>The message for <paramref name="errno"/>, e.g. "No such file or directory (errno 2)".</summary>
    public static string ErrorText(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>
    /// open(2) whose descriptor a <see cref="SafeFileHandle"/> owns from
    /// the start; check <c>IsInvalid</c> and read <see cref="LastError"/> at once when it failed.
    /// </summary>
    public static SafeFileHandle OpenHandle(string path, int flags, uint mode = 0) =>
        Own(open(path, flags, mode));

    /// <summary>
    /// <paramref name="fd"/> (a fresh descriptor from a call, or -1 for a failed one) owned by a
    /// handle: closed when the handle is disposed, invalid when the call failed.
    /// </summary>
    public static SafeFileHandle Own(int fd) => new(fd, ownsHandle: true);

    /// <summary>open(2); <paramref name="mode"/> (mode_t) matters only with O_CREAT, pass 0 otherwise.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    // open(2) flags (asm-generic/fcntl.h).
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_ASYNC = 0x2000;
    public const int O_DIRECTORY = 0x10000;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    // fcntl(2) commands.
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_SETOWN = 8;
    public const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>F_LINUX_SPECIFIC_BASE + 7: sets a pipe's capacity.</summary>
    public const int F_SETPIPE_SZ = 1031;

    /// <summary>The fd flag of F_SETFD.</summary>
    public const int FD_CLOEXEC = 1;

    /// <summary>
    /// ioctl(2), which is variadic: on x86-64 the third argument travels in a register whether it
    /// is a pointer or an integer, so one declaration serves both (pass an integer as (void*)n).
    /// </summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    // poll(2) events.
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    /// <summary>statx(2) into <paramref name="buffer"/>, which must hold <see cref="StatxSize"/> bytes.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    // struct statx (include/uapi/linux/stat.h) is 256 bytes; stx_uid (u32) at 20, stx_gid (u32)
    // at 24, stx_mode (u16) at 28.
    public const int AT_FDCWD = -100;
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_BASIC_STATS = 0x7ff;
    public const int StatxSize = 256;
    public const int StatxUidOffset = 20;
    public const int StatxGidOffset = 24;
    public const int StatxModeOffset = 28;

    // File types in stx_mode.
    public const int S_IFMT = 0xF000;
    public const int S_IFIFO = 0x1000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFBLK = 0x6000;
    public const int S_IFREG = 0x8000;
    public const int S_IFSOCK = 0xC000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fsType, ulong flags, string? data);

    // mount(2) flags.
    public const ulong MS_RDONLY = 0x1;
    public const ulong MS_NOSUID = 0x2;
    public const ulong MS_NODEV = 0x4;
    public const ulong MS_NOEXEC = 0x8;
    public const ulong MS_REMOUNT = 0x20;
    public const ulong MS_BIND = 0x1000;
    public const ulong MS_REC = 0x4000;
    public const ulong MS_PRIVATE = 0x40000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    public const int MNT_DETACH = 2;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public const int PR_SET_CHILD_SUBREAPER = 36;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    /// <summary>sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on x86-64; room to spare.</summary>
    public const int SpawnStructSize = 512;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, uint mode);

    /// <summary>glibc 2.34 and later (Debian 12 has 2.36): close every fd from <paramref name="from"/> up in the child.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int from);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    /// <summary>glibc's posix_spawn flags (spawn.h).</summary>
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigemptyset(void* set);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigfillset(void* set);

    /// <summary>sizeof(sigset_t) in glibc.</summary>
    public const int SigSetSize = 128;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    // socket(2) domains and types.
    public const int AF_UNIX = 1;
    public const int AF_NETLINK = 16;
    public const int SOCK_STREAM = 1;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, byte* address, uint length);
}
