using System.Runtime.InteropServices;

namespace Ttrpc;

/// <summary>libc calls the BCL does not offer. Blittable signatures only, so Native AOT needs no marshalling stubs.</summary>
internal static class NativeMethods
{
    /// <summary>geteuid(2): the effective uid, which is what SO_PEERCRED reports for the peer.</summary>
    [DllImport("libc", EntryPoint = "geteuid", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern uint GetEffectiveUserId();
}
