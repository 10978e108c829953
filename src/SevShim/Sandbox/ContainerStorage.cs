using System.Runtime.Versioning;
using Serilog;
using SevShim.Agent;
using SevShim.Config;
using SevRuntime.Posix;
using SevShim.Errors;
using SevShim.Native;
using SevShim.Qemu;
using SevShim.Rootfs;

namespace SevShim.Sandbox;

/// <summary>
/// The pod's container storage on the host: each container's rootfs and bind mounts planned
/// (<see cref="MountPlanner"/>), mounted into the pod's 9p share (<see cref="HostMounter"/>),
/// in rootfs mode "block" mounted in a staging folder that the VM never sees, copied into an ext4
/// disk hot-plugged into the VM and unmounted (ARCHITECTURE decision 7), and its volumes copied
/// into the guest and kept in step (<see cref="VolumeSync"/>, decision 16).
/// Ownership: owns every container's <see cref="ContainerFiles"/> from <see cref="MountAsync"/>
/// until <see cref="ReleaseAsync"/>, and the volume sync until <see cref="DisposeAsync"/>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ContainerStorage : IAsyncDisposable
{
    /// <summary>The name a single-file volume has in the root of its disk image.</summary>
    internal const string ImageFileName = "volume";

    private readonly ShimConfig _config;
    private readonly PodVm _vm;
    private readonly ILogger _log;
    private readonly VolumeSync _volumes;

    public ContainerStorage(ShimConfig config, PodVm vm, IGuestAgent agent, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _config = config;
        _vm = vm;
        _log = log;
        _volumes = new VolumeSync(agent.SyncVolumeAsync, log, TimeSpan.FromSeconds(1));
    }

    /// <summary>The container's mount plan: nothing is mounted yet (refusals come first and leave nothing).</summary>
    /// <remarks>Block mode stages the rootfs outside the share folder (there is no share then, decision 7).</remarks>
    public ContainerMountPlan Plan(ContainerCreateRequest request) => _config.Rootfs == RootfsMode.Block
        ? MountPlanner.Plan(request, _vm.Layout.StagingDirectory, HostFileSystem.KindOf, HostFileSystem.TotalBytes, copyVolumes: true)
        : MountPlanner.Plan(request, _vm.Layout.ShareDirectory, HostFileSystem.KindOf, HostFileSystem.TotalBytes);

    /// <summary>
    /// Mounts what <paramref name="plan"/> shares, attaches the rootfs disk in block mode and
    /// copies the container's volumes into the guest (a folder too large to copy as a disk of its
    /// own). On failure nothing of it is left.
    /// </summary>
    public async Task<ContainerFiles> MountAsync(string containerId, ContainerMountPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var mounts = HostMounter.Apply(plan, _log);
        ScsiDisk? disk = null;
        var volumeDisks = new List<ScsiDisk>();
        try
        {
            var rootfs = GuestRootfs.Shared(plan.RootfsSharedPath, plan.RootfsReadOnly);
            var guestMounts = plan.GuestMounts;
            if (_config.Rootfs == RootfsMode.Block)
            {
                disk = await AttachImageAsync(Path.Combine(plan.ContainerDirectory, "rootfs"), containerId, "rootfs", cancellationToken).ConfigureAwait(false);
                HostMounter.ReleaseRootfs(mounts, Path.Combine(plan.ContainerDirectory, "rootfs"), _log);
                rootfs = GuestRootfs.Scsi(disk.Target, plan.RootfsReadOnly);
                guestMounts = await AttachLargeVolumesAsync(plan.GuestMounts, volumeDisks, cancellationToken).ConfigureAwait(false);
            }

            await _volumes.AddAsync(guestMounts, cancellationToken).ConfigureAwait(false);
            return new ContainerFiles(containerId, mounts, disk, rootfs, guestMounts, volumeDisks);
        }
        catch
        {
            await ReleaseAsync(new ContainerFiles(containerId, mounts, disk, GuestRootfs.Shared(string.Empty, false), [], volumeDisks)).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the container's volume copies, detaches and deletes its disk, unmounts. Never throws.</summary>
    public async Task ReleaseAsync(ContainerFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        _volumes.Remove(files.ContainerId);
        foreach (var disk in files.VolumeDisks.Prepend(files.RootfsDisk).OfType<ScsiDisk>())
        {
            await _vm.DetachDiskAsync(disk).ConfigureAwait(false);
            RootfsImage.TryDelete(disk.ImagePath);
        }

        try
        {
            HostMounter.Remove(files.Mounts, _log);
        }
        catch (ShimException ex)
        {
            _log.Error("{Message}", ex.Message);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _volumes.DisposeAsync();

    /// <summary>
    /// Each copied volume over the copy path's limits (<see cref="HostVolumeReader.FitsCopy"/>)
    /// becomes an ext4 image on a SCSI disk of its own, mounted read-only in the guest when the
    /// bind is (decision 16): a folder's image is the folder, a single file's holds that file as
    /// <see cref="ImageFileName"/> in its root, which the guest binds. The mappings come back with
    /// those volumes replaced, the disks added to <paramref name="disks"/>. An image is the volume
    /// as it was at create: unlike a copy, later changes on the host do not reach it.
    /// </summary>
    private async Task<IReadOnlyList<GuestMountMapping>> AttachLargeVolumesAsync(
        IReadOnlyList<GuestMountMapping> mounts, List<ScsiDisk> disks, CancellationToken cancellationToken)
    {
        var result = new List<GuestMountMapping>(mounts.Count);
        foreach (var mount in mounts)
        {
            if (mount.Copy is not { } volume || HostVolumeReader.FitsCopy(volume))
            {
                result.Add(mount);
                continue;
            }

            var disk = volume.IsFile
                ? await AttachFileImageAsync(volume, cancellationToken).ConfigureAwait(false)
                : await AttachImageAsync(volume.HostSource, volume.Name, "volume", cancellationToken).ConfigureAwait(false);
            disks.Add(disk);
            result.Add(mount with { Copy = null, ScsiTarget = disk.Target, ScsiReadOnly = volume.ReadOnly, ScsiFile = volume.IsFile ? ImageFileName : null });
            _log.Information("volume {Source} at {Destination} is too large to copy: attached as an ext4 disk image (SCSI target {Target})", volume.HostSource, mount.Destination, disk.Target);
        }

        return result;
    }

    // mke2fs -d copies a folder, so a single file is bind-mounted (it may live on any file system,
    // a hard link could not reach it) onto <pod>/disks/<name>.d/volume for the image's making and
    // unmounted right after. The folder is removed only once nothing is mounted in it.
    private async Task<ScsiDisk> AttachFileImageAsync(CopiedVolume volume, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(_vm.Layout.Directory, "disks", volume.Name + ".d");
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var target = Path.Combine(staging, ImageFileName);
        try
        {
            using (File.Open(target, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            try
            {
                LibC.Mount(Path.GetFullPath(volume.HostSource), target, null, Posix.MS_BIND, null);
            }
            catch (IOException ex)
            {
                throw new ShimException(ShimErrorKind.Internal, $"sevshim: the volume {volume.HostSource} could not be read for its disk image: {ex.Message}", ex);
            }

            try
            {
                return await AttachImageAsync(staging, volume.Name, "volume", cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                var errno = LibC.Unmount(target, Posix.MNT_DETACH);
                if (errno != 0 && errno != Posix.EINVAL)
                {
                    _log.Warning("unmounting {Target} failed with errno {Errno}", target, errno);
                }
            }
        }
        finally
        {
            try
            {
                HostMounter.RemoveDirectory(staging);
            }
            catch (Exception ex) when (ex is ShimException or IOException or UnauthorizedAccessException)
            {
                _log.Error("{Message}", ex.Message);
            }
        }
    }

    // The folder (a container's rootfs, mounted on the host in the staging folder, or a volume) is
    // copied into an ext4 image <name>.ext4 in the pod's state folder and hot-plugged on the
    // virtio-scsi controller.
    private async Task<ScsiDisk> AttachImageAsync(string source, string name, string label, CancellationToken cancellationToken)
    {
        var disks = Directory.CreateDirectory(Path.Combine(_vm.Layout.Directory, "disks")).FullName;
        var image = Path.Combine(disks, name + ".ext4");
        await RootfsImage.CreateAsync(source, image, label, _config.BootTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return await _vm.AttachDiskAsync(image, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            RootfsImage.TryDelete(image);
            throw;
        }
    }
}
