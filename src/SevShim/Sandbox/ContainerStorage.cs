using System.Runtime.Versioning;
using Serilog;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Errors;
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
    /// Each copied folder volume over the copy path's limits (<see cref="HostVolumeReader.FitsCopy"/>)
    /// becomes an ext4 image of the folder on a SCSI disk of its own, mounted read-only in the guest
    /// when the bind is (decision 16): the mappings with those volumes replaced, the disks added to
    /// <paramref name="disks"/>. An image is the folder as it was at create: unlike a copy, later
    /// changes on the host do not reach it.
    /// </summary>
    private async Task<IReadOnlyList<GuestMountMapping>> AttachLargeVolumesAsync(
        IReadOnlyList<GuestMountMapping> mounts, List<ScsiDisk> disks, CancellationToken cancellationToken)
    {
        var result = new List<GuestMountMapping>(mounts.Count);
        foreach (var mount in mounts)
        {
            if (mount.Copy is not { IsFile: false } volume || HostVolumeReader.FitsCopy(volume))
            {
                result.Add(mount);
                continue;
            }

            var disk = await AttachImageAsync(volume.HostSource, volume.Name, "volume", cancellationToken).ConfigureAwait(false);
            disks.Add(disk);
            result.Add(mount with { Copy = null, ScsiTarget = disk.Target, ScsiReadOnly = volume.ReadOnly });
            _log.Information("volume {Source} at {Destination} is too large to copy: attached as an ext4 disk image (SCSI target {Target})", volume.HostSource, mount.Destination, disk.Target);
        }

        return result;
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
