using System.Runtime.InteropServices;

namespace SevShim.Hosting.Native;

/// <summary>
/// The few libc calls the hosting side needs that .NET does not expose (glibc on Linux x86-64;
/// constants from the kernel and glibc headers). Every call sets errno for
/// <see cref="Marshal.GetLastPInvokeError"/>.
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
    public const int O_DIRECTORY = 0x10000;
    public const int MNT_DETACH = 2;
    public const int EAGAIN = 11;
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
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, byte* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    /// <summary>errno of the last call, as text for error messages.</summary>
    public static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
