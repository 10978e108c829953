using SevShim.Io;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Rootfs;

/// <summary>Facts about host file systems that the mount plan needs.</summary>
internal static class HostFileSystem
{
    /// <summary>
    /// The size of the file system holding <paramref name="path"/> (statvfs through DriveInfo),
    /// or 0 when it cannot be read: the caller picks its default.
    /// </summary>
    public static ulong TotalBytes(string path)
    {
        try
        {
            var size = new DriveInfo(path).TotalSize;
            return size > 0 ? (ulong)size : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }

    /// <summary>What <paramref name="path"/> is, following links as a bind mount does.</summary>
    public static HostPathKind KindOf(string path) => LibC.FileType(path) switch
    {
        Posix.S_IFDIR => HostPathKind.Directory,
        Posix.S_IFREG => HostPathKind.File,
        Posix.S_IFSOCK => HostPathKind.Socket,
        Posix.S_IFCHR => HostPathKind.CharDevice,
        Posix.S_IFBLK => HostPathKind.BlockDevice,
        Posix.S_IFIFO => HostPathKind.Fifo,
        _ => HostPathKind.Missing,
    };
}
