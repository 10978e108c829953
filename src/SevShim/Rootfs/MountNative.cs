using System.Runtime.InteropServices;

namespace SevShim.Rootfs;

/// <summary>mount(2) and umount2(2), which .NET does not wrap.</summary>
internal static partial class MountNative
{
    public const ulong MS_RDONLY = 0x1;
    public const ulong MS_NOSUID = 0x2;
    public const ulong MS_NODEV = 0x4;
    public const ulong MS_NOEXEC = 0x8;
    public const ulong MS_REMOUNT = 0x20;
    public const ulong MS_BIND = 0x1000;
    public const ulong MS_REC = 0x4000;
    public const ulong MS_PRIVATE = 0x40000;
    public const int MNT_DETACH = 0x2;
    public const int EBUSY = 16;
    public const int EINVAL = 22;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountRaw(string source, string target, string? type, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2Raw(string target, int flags);

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
        Umount2Raw(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
