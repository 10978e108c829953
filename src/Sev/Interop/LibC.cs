using System.Runtime.InteropServices;

namespace Sev.Interop;

/// <summary>
/// The libc call only the host check makes, and so not in <see cref="SevRuntime.Posix.Posix"/>
/// (which holds the open, ioctl, close and statx of the KVM probe and the device checks, shared
/// with the shim): access(2) for "may QEMU open /dev/sev read-write", with the errno wording of
/// the check's evidence.
/// </summary>
internal static partial class LibC
{
    public const int R_OK = 4;
    public const int W_OK = 2;

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);

    /// <summary>"strerror"-like text for an errno, e.g. "errno 25 (Inappropriate ioctl for device)".</summary>
    public static string Describe(int errno) => $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
}
