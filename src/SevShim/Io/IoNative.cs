using System.Runtime.InteropServices;

namespace SevShim.Io;

/// <summary>
/// The few libc calls the FIFO pumps need and .NET does not offer: a non-blocking open (a FIFO's
/// blocking open waits for its peer, SHIM-PROTOCOL.md 5) and poll(2), which lets a pump wait for
/// data or room and still notice cancellation.
/// </summary>
internal static partial class IoNative
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int ENXIO = 6;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>eventfd(2) flags: EFD_CLOEXEC, EFD_NONBLOCK (the O_ values).</summary>
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    public const int S_IFMT = 0xF000;
    public const int S_IFIFO = 0x1000;
    public const int S_IFREG = 0x8000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFSOCK = 0xC000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFBLK = 0x6000;
    private const int AtFdCwd = -100;
    private const uint StatxType = 1;

    /// <summary>
    /// The S_IFMT bits of <paramref name="path"/> (following links), or -1 when it cannot be
    /// read. .NET reports no file types beyond files and folders; statx(2) is used because its
    /// struct layout is the same on every architecture (stx_mode is the u16 at offset 28).
    /// </summary>
    public static unsafe int FileType(string path)
    {
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            return -1;
        }

        return *(ushort*)(buffer + 28) & S_IFMT;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
