using System.Runtime.Versioning;
using Serilog;
using SevShim.Errors;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Rootfs;

/// <summary>
/// Applies a <see cref="ContainerMountPlan"/> on the host (under the pod's 9p share, or in block
/// mode its staging folder) and takes it down again. Every mount
/// gets nosuid,nodev on the host side: what the guest writes into the share through 9p (setuid
/// files, device nodes) stays inert for the host, while the guest's own mount flags decide what
/// runs inside the container. Removal unmounts in reverse order and deletes the container's
/// folder only after /proc/self/mountinfo shows nothing mounted below it, because deleting a
/// folder with a live bind mount under it would delete the host files behind that mount.
/// Ownership: the caller keeps the returned <see cref="AppliedMounts"/> and passes it to
/// <see cref="Remove"/>; not thread-safe per container (the task service serialises a container's
/// lifecycle calls).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class HostMounter
{
    private const ulong RemountBits = Posix.MS_REMOUNT | Posix.MS_BIND | Posix.MS_NOSUID | Posix.MS_NODEV;

    /// <summary>Mounts everything in <paramref name="plan"/>; on failure undoes what was done and throws.</summary>
    public static AppliedMounts Apply(ContainerMountPlan plan, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Directory.CreateDirectory(plan.ContainerDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var applied = new AppliedMounts(plan.ContainerDirectory);
        try
        {
            foreach (var m in plan.Mounts)
            {
                MakeMountPoint(m);
                if (m.FsType is null)
                {
                    LibC.Mount(m.Source, m.Target, null, m.Flags, null);
                    applied.Targets.Add(m.Target);
                    LibC.Mount(string.Empty, m.Target, null, RemountBits | (m.ReadOnly ? Posix.MS_RDONLY : 0), null);
                }
                else
                {
                    LibC.Mount(m.Source, m.Target, m.FsType, m.Flags, m.Data);
                    applied.Targets.Add(m.Target);
                }
            }

            return applied;
        }
        catch (IOException ex)
        {
            Remove(applied, log);
            throw new ShimException(ShimErrorKind.Internal, $"sevshim: mounting the container's files on the host failed: {ex.Message}", ex);
        }
    }

    /// <summary>Unmounts in reverse order and removes the container's folder; throws if something stays mounted.</summary>
    public static void Remove(AppliedMounts applied, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(log);
        for (var i = applied.Targets.Count - 1; i >= 0; i--)
        {
            var target = applied.Targets[i];
            var errno = LibC.Unmount(target, 0);
            if (errno == Posix.EBUSY)
            {
                // Submounts of an rbind, or a file still open: detach now, the kernel frees it when idle.
                errno = LibC.Unmount(target, Posix.MNT_DETACH);
            }

            if (errno != 0 && errno != Posix.EINVAL)
            {
                log.Warning("unmounting {Target} failed with errno {Errno}", target, errno);
            }
        }

        applied.Targets.Clear();
        RemoveDirectory(applied.ContainerDirectory);
    }

    /// <summary>
    /// Unmounts the container's rootfs (and the mounts below it) from the staging folder as soon
    /// as rootfs.mode = "block" copied it into the container's disk image: from then on the image
    /// holds the container's files, so nothing of the host's rootfs stays mounted while it runs.
    /// </summary>
    public static void ReleaseRootfs(AppliedMounts applied, string rootfsDirectory, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(log);
        var rootfs = Path.TrimEndingDirectorySeparator(rootfsDirectory);
        for (var i = applied.Targets.Count - 1; i >= 0; i--)
        {
            var target = applied.Targets[i];
            if (target != rootfs && !target.StartsWith(rootfs + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var errno = LibC.Unmount(target, Posix.MNT_DETACH);
            if (errno != 0 && errno != Posix.EINVAL)
            {
                throw new ShimException(ShimErrorKind.Internal, $"sevshim: unmounting the container rootfs {target} from the staging folder failed with errno {errno}");
            }

            applied.Targets.RemoveAt(i);
        }

        log.Debug("rootfs {Rootfs} unmounted from the staging folder (block rootfs)", rootfs);
    }

    /// <summary>Deletes <paramref name="directory"/> if nothing is mounted at or below it; else throws.</summary>
    public static void RemoveDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        var left = MountTable.MountPointsUnder(directory);
        if (left.Count > 0)
        {
            throw new ShimException(
                ShimErrorKind.Internal,
                $"sevshim: {directory} was not removed because {string.Join(", ", left)} is still mounted (unmount it by hand, then delete the folder)");
        }

        Directory.Delete(directory, recursive: true);
    }

    private static void MakeMountPoint(HostMount m)
    {
        if (m.TargetIsFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(m.Target)!);
            using (File.Open(m.Target, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }
        }
        else
        {
            Directory.CreateDirectory(m.Target);
        }
    }
}
