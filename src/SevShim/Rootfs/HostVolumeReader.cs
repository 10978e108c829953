using System.Globalization;
using System.Text;
using SevShim.Errors;

namespace SevShim.Rootfs;

/// <summary>
/// Reads a host volume for its guest copy (rootfs mode "block"). The walk never follows a symlink
/// below the volume's root: a link is copied as a link (kubelet's configmap, secret and projected
/// volumes are "..data" links into a timestamped folder, and the guest must see the same swap),
/// so nothing outside the folder the spec names is read. A volume is capped at
/// <see cref="MaxBytes"/> and <see cref="MaxEntries"/> (the agent link carries it in one message;
/// Kubernetes caps configmaps and secrets at 1 MiB); a volume that does not fit
/// (<see cref="FitsCopy"/>) becomes an ext4 disk image instead (<see cref="Sandbox.ContainerStorage"/>).
/// </summary>
internal static class HostVolumeReader
{
    /// <summary>The largest volume content copied into a pod VM.</summary>
    public const long MaxBytes = 8L << 20;

    /// <summary>The most entries a copied volume may have.</summary>
    public const int MaxEntries = 4096;

    /// <summary>
    /// A cheap summary of the volume's metadata (paths, kinds, sizes, modification times, modes,
    /// link targets, inodes): it changes whenever a sync would send something different.
    /// </summary>
    public static string Fingerprint(CopiedVolume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var text = new StringBuilder();
        foreach (var (relative, info) in Walk(volume))
        {
            text.Append(relative).Append('\0')
                .Append(info.Attributes.ToString()).Append('\0')
                .Append(info is FileInfo f && info.LinkTarget is null ? f.Length : 0).Append('\0')
                .Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append((int)info.UnixFileMode).Append('\0')
                .Append(info.LinkTarget).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// True when the volume's entries and file bytes are within <see cref="MaxBytes"/> and
    /// <see cref="MaxEntries"/>, from metadata alone (nothing is read); the walk stops at the
    /// first limit passed.
    /// </summary>
    public static bool FitsCopy(CopiedVolume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var entries = 0;
        long total = 0;
        try
        {
            foreach (var (_, info) in Walk(volume))
            {
                total += info is FileInfo f && info.LinkTarget is null ? f.Length : 0;
                if (++entries > MaxEntries || total > MaxBytes)
                {
                    return false;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable: the copy path's Read reports it, naming the volume and the fix.
            return true;
        }

        return true;
    }

    /// <summary>Reads every entry; InvalidArgument naming the volume when it is too large or unreadable.</summary>
    public static IReadOnlyList<VolumeEntry> Read(CopiedVolume volume, string destination)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var entries = new List<VolumeEntry>();
        long total = 0;
        try
        {
            foreach (var (relative, info) in Walk(volume))
            {
                if (entries.Count >= MaxEntries)
                {
                    throw TooLarge(volume, destination, $"more than {MaxEntries} entries");
                }

                var mode = (uint)info.UnixFileMode;
                if (info.LinkTarget is { } target)
                {
                    entries.Add(new VolumeEntry(relative, VolumeEntryKind.Symlink, mode, ReadOnlyMemory<byte>.Empty, target));
                }
                else if (info is DirectoryInfo)
                {
                    entries.Add(new VolumeEntry(relative, VolumeEntryKind.Directory, mode, ReadOnlyMemory<byte>.Empty, string.Empty));
                }
                else if (info is FileInfo file)
                {
                    total += file.Length;
                    if (total > MaxBytes)
                    {
                        throw TooLarge(volume, destination, $"more than {MaxBytes >> 20} MiB");
                    }

                    entries.Add(new VolumeEntry(relative, VolumeEntryKind.File, mode, File.ReadAllBytes(file.FullName), string.Empty));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShimException(ShimErrorKind.InvalidArgument,
                $"sevshim: reading the volume {volume.HostSource} (mounted at {destination}) for its copy in the pod VM failed: {e.Message}; check that the shim can read it");
        }

        return entries;
    }

    // The root itself (a single file, or the folder), then every entry below it, parents first;
    // sockets, devices and FIFOs below the root are skipped (they cannot be copied).
    private static IEnumerable<(string Relative, FileSystemInfo Info)> Walk(CopiedVolume volume)
    {
        if (volume.IsFile)
        {
            // The root may be a link (CRI's hostname and resolv.conf are plain files; follow it).
            yield return (string.Empty, new FileInfo(Path.GetFullPath(volume.HostSource)));
            yield break;
        }

        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(volume.HostSource));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(volume.HostSource));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var info in dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (info.LinkTarget is not null)
                {
                    yield return (relative, info);
                }
                else if (info is DirectoryInfo sub)
                {
                    yield return (relative, info);
                    pending.Push(sub);
                }
                else if ((info.Attributes & FileAttributes.Device) == 0 && info is FileInfo { Exists: true } && IsRegular(info))
                {
                    yield return (relative, info);
                }
            }
        }
    }

    private static bool IsRegular(FileSystemInfo info) => HostFileSystem.KindOf(info.FullName) == HostPathKind.File;

    private static ShimException TooLarge(CopiedVolume volume, string destination, string what) => new(
        ShimErrorKind.InvalidArgument,
        $"sevshim: the volume {volume.HostSource} mounted at {destination} has {what}, too large to copy into the pod VM " +
        "(rootfs mode \"block\" copies volumes, it shares no host folder; a volume already too large when its container is " +
        "created becomes a disk image instead, this one grew past the limit later): create the container again, or, for pods without " +
        "memory encryption only (confidential.mode = \"none\"), set rootfs.mode = \"shared\"");
}
