using System.Runtime.InteropServices;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>
/// The libc calls only the agent makes (glibc, x86-64 layouts), and so not in
/// <see cref="Posix"/>, which holds the calls, flags and errno values the agent shares with the
/// shim and Netlink: waitpid and signal for the child reaper, pipe2, kill, tcdrain and
/// TIOCSWINSZ for terminals, recvmsg for the pty master crun passes, inotify for OOM events,
/// realpath for share paths, rename, setpriority, sync and reboot. LibraryImport keeps them
/// Native AOT safe. Every call that can fail sets errno (SetLastError) for the caller to report.
/// </summary>
internal static unsafe partial class LibC
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    /// <summary>signal(2): sets the disposition of <paramref name="signum"/>, returns the previous one (SIG_ERR = -1).</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial nint signal(int signum, nint handler);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setpriority(int which, int who, int prio);

    public const int PRIO_PROCESS = 0;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    /// <summary>tcdrain(3): waits until what was written to the terminal <paramref name="fd"/> is transmitted.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcdrain(int fd);

    /// <summary>asm-generic/ioctls.h: sets a terminal's window size (a <see cref="WinSize"/>).</summary>
    public const uint TIOCSWINSZ = 0x5414;

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixel;
        public ushort YPixel;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_init1(int flags);

    public const int IN_CLOEXEC = Posix.O_CLOEXEC;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int inotify_add_watch(int fd, string path, uint mask);

    public const uint IN_MODIFY = 0x2;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int watch);

    // rename(2) replaces a file or a symlink (to anything) atomically.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void sync();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int reboot(int command);

    public const int RB_POWER_OFF = 0x4321fedc;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    public static partial void free(IntPtr pointer);

    /// <summary>realpath(3): the canonical path with every symlink resolved, or null with errno set.</summary>
    public static string? RealPath(string path)
    {
        var result = realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            free(result);
        }
    }
}
