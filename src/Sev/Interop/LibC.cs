using System.Runtime.InteropServices;

namespace Sev.Interop;

/// <summary>
/// The few libc calls the host check needs that .NET does not wrap: open/ioctl/close for the KVM
/// probe, access(2) for "may QEMU open /dev/sev read-write" and statx(2) for owner and mode
/// (statx has one layout on every architecture, unlike struct stat).
/// </summary>
internal static partial class LibC
{
    public const int O_RDWR = 0x2;
    public const int O_CLOEXEC = 0x80000;
    public const int R_OK = 4;
    public const int W_OK = 2;
    public const int AT_FDCWD = -100;
    public const uint STATX_BASIC_STATS = 0x7ff;
    public const int ENOTTY = 25;
    public const int EFAULT = 14;

    // struct statx (include/uapi/linux/stat.h): 256 bytes; stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28.
    public const int StatxSize = 256;
    public const int StatxUidOffset = 20;
    public const int StatxGidOffset = 24;
    public const int StatxModeOffset = 28;
    public const int S_IFMT = 0xF000;
    public const int S_IFCHR = 0x2000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    // ioctl(2) is variadic; on x86-64 an integer third argument is passed like a fixed one.
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint argument);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    /// <summary>"strerror"-like text for an errno, e.g. "ENOTTY (Inappropriate ioctl for device)".</summary>
    public static string Describe(int errno) => $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
}
