using System.Globalization;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// The guest paths of a container being created: its root file system and the source of each
/// guest mount, mounted (SCSI disks under the bundle, recorded in <see cref="Container.Mounts"/>
/// so that delete undoes them) or resolved (share paths, pod tmpfs and directories, volume copies).
/// </summary>
internal sealed class ContainerSources
{
    private readonly RootfsMounter _mounter;

    public ContainerSources(RootfsMounter mounter) => _mounter = mounter;

    /// <summary>The guest directory of the container's rootfs.</summary>
    public async Task<string> PrepareRootfsAsync(RootfsSpec? rootfs, Container container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (rootfs is null)
        {
            throw AgentException.InvalidArgument($"container {container.Id}: rootfs is missing: give rootfs.shared or rootfs.scsi");
        }

        if (rootfs.SharedPath is not null)
        {
            return await _mounter.ResolveSharedAsync(rootfs.SharedPath, "rootfs.shared.path", cancellationToken).ConfigureAwait(false);
        }

        if (rootfs.Scsi is not null)
        {
            // Mounted read-write even when root.readonly is set: crun makes the spec's mount
            // points (/proc, /dev, a bind to a folder the image lacks) on the rootfs first and only
            // then remounts it read-only (root.readonly stays in the spec), as runc does on the
            // host. A read-only mount here made crun fail with "cannot mkdir proc".
            var target = Path.Combine(container.BundleDir, "rootfs");
            await _mounter.MountScsiAsync(rootfs.Scsi, target, $"container {container.Id} rootfs", cancellationToken).ConfigureAwait(false);
            container.Mounts.Add(target);
            return target;
        }

        throw AgentException.InvalidArgument($"container {container.Id}: rootfs has no source: give rootfs.shared or rootfs.scsi");
    }

    /// <summary>The guest source of each mount, by OCI destination.</summary>
    public async Task<Dictionary<string, string>> PrepareMountsAsync(
        IReadOnlyList<GuestMountSpec> mounts, Container container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        ArgumentNullException.ThrowIfNull(container);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var index = 0; index < mounts.Count; index++)
        {
            var mount = mounts[index];
            var what = $"guest_mounts[{index}] ({mount.Destination})";
            sources[mount.Destination] = mount switch
            {
                { Kind: GuestMountKind.SharedPath } =>
                    await _mounter.ResolveSharedAsync(mount.Name, what + " shared_path", cancellationToken).ConfigureAwait(false),
                { Kind: GuestMountKind.Scsi, Scsi: { } disk } => await MountScsiAsync(disk, mount.Name, container, index, what, cancellationToken).ConfigureAwait(false),
                { Kind: GuestMountKind.PodTmpfs, Tmpfs: { } tmpfs } =>
                    await _mounter.EnsurePodTmpfsAsync(tmpfs, what + " pod_tmpfs", cancellationToken).ConfigureAwait(false),
                { Kind: GuestMountKind.CopiedVolume } => _mounter.Copies.Resolve(mount.Name, what + " copied_volume"),
                { Kind: GuestMountKind.PodDirectory } => _mounter.EnsurePodDirectory(mount.Name, what + " pod_directory"),
                _ => throw AgentException.InvalidArgument(
                    $"container {container.Id}: {what} has no source: give shared_path, scsi, pod_tmpfs, copied_volume or pod_directory"),
            };
        }

        return sources;
    }

    // The disk is mounted under the bundle; with a file name (a single-file volume's image) the
    // source is that file in the disk's root, a plain name checked before anything is mounted and
    // a regular file, never a link (the host made the image, but a guest path it names must stay
    // inside the disk).
    private async Task<string> MountScsiAsync(ScsiDisk disk, string file, Container container, int index, string what, CancellationToken cancellationToken)
    {
        if (file.Length > 0)
        {
            PathGuard.CheckId(file, $"container {container.Id}: {what} scsi_file");
        }

        var target = Path.Combine(container.BundleDir, "mounts", index.ToString(CultureInfo.InvariantCulture));
        await _mounter.MountScsiAsync(disk, target, $"container {container.Id} {what}", cancellationToken).ConfigureAwait(false);
        container.Mounts.Add(target);
        if (file.Length == 0)
        {
            return target;
        }

        var source = new FileInfo(Path.Combine(target, file));
        if (!source.Exists || source.LinkTarget is not null)
        {
            throw AgentException.InvalidArgument(
                $"container {container.Id}: {what} scsi_file '{file}' is not a regular file in the root of SCSI disk {disk.Target}: the host's disk image does not hold the volume");
        }

        return source.FullName;
    }
}
