using Serilog;
using SevShim.Qemu;
using SevShim.Rootfs;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Sandbox;

/// <summary>
/// Removes a pod state folder left by a shim that died (QEMU itself dies with the shim through
/// its parent-death signal, but the host mounts stay: the 9p share's, or a block rootfs being
/// staged): detaches every mount below it,
/// deepest first, then deletes the folder, which <see cref="HostMounter.RemoveDirectory"/> does
/// only once mountinfo shows nothing mounted there. Used before a pod boots, and meant for the
/// shim's <c>delete</c> verb.
/// </summary>
internal static class QemuStateCleanup
{
    /// <summary>Cleans <c>&lt;stateRoot&gt;/&lt;sandboxId&gt;</c>; true when nothing is left.</summary>
    public static bool RemovePodState(string stateRoot, string sandboxId, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var layout = PodStateLayout.For(stateRoot, sandboxId);
        if (!Directory.Exists(layout.Directory))
        {
            return true;
        }

        foreach (var mountPoint in MountTable.MountPointsUnder(layout.Directory).OrderByDescending(p => p.Length))
        {
            var errno = LibC.Unmount(mountPoint, Posix.MNT_DETACH);
            if (errno != 0 && errno != Posix.EINVAL)
            {
                log.Warning("detaching the stale mount {MountPoint} failed with errno {Errno}", mountPoint, errno);
            }
        }

        try
        {
            HostMounter.RemoveDirectory(layout.Directory);
            log.Information("removed the stale pod state folder {Directory}", layout.Directory);
            return true;
        }
        catch (Exception ex) when (ex is Errors.ShimException or IOException or UnauthorizedAccessException)
        {
            log.Error("the stale pod state folder {Directory} was not removed: {Message}", layout.Directory, ex.Message);
            return false;
        }
    }
}
