using Grpc.Core;
using Microsoft.Extensions.Logging;
using SevAgent.Hosting;
using SevAgent.Native;
using SevAgent.Protocol.V1;
using SevAgentProto;

namespace SevAgent.Containers;

/// <summary>
/// Finds and mounts container root file systems and extra mount sources in the guest: a folder
/// of the pod's 9p share (tag "sevshare", mounted once on first use) or a virtio-scsi disk found
/// by target and LUN under /sys/bus/scsi/devices (ARCHITECTURE.md decision 7).
/// </summary>
internal sealed class RootfsMounter : IDisposable
{
    private readonly AgentOptions _options;
    private readonly ILogger<RootfsMounter> _log;
    private readonly SemaphoreSlim _shareGate = new(1, 1);
    private bool _shareReady;

    public RootfsMounter(AgentOptions options, ILogger<RootfsMounter> log)
    {
        _options = options;
        _log = log;
    }

    /// <summary>Where SCSI devices are listed (a test may point it elsewhere).</summary>
    public string ScsiDevicesDir { get; init; } = "/sys/bus/scsi/devices";

    /// <summary>The guest directory of a share path (INVALID_ARGUMENT when it escapes the share).</summary>
    public async Task<string> ResolveSharedAsync(string relative, string what, CancellationToken cancellationToken)
    {
        await EnsureShareAsync(cancellationToken).ConfigureAwait(false);
        return PathGuard.ResolveUnder(_options.ShareDir, relative, what);
    }

    /// <summary>Mounts a SCSI disk at <paramref name="target"/> (created); the caller unmounts it.</summary>
    public void MountScsi(ScsiRootfs disk, string target, bool readOnly, string what)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var device = FindScsiDevice(disk.Target, disk.Lun) ?? throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"{what}: no SCSI disk with target {disk.Target} LUN {disk.Lun} in {ScsiDevicesDir}: attach it to the pod's virtio-scsi controller first"));
        var fsType = disk.FsType.Length > 0 ? disk.FsType : "ext4";
        if (fsType is not ("ext4" or "xfs" or "ext3" or "ext2" or "btrfs" or "squashfs" or "erofs" or "vfat"))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{what}: file system type '{fsType}' is not supported (ext4, xfs, btrfs, squashfs, erofs, vfat)"));
        }

        Directory.CreateDirectory(target);
        if (LibC.mount(device, target, fsType, readOnly ? LibC.MS_RDONLY : 0, disk.Options.Length > 0 ? disk.Options : null) < 0)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{what}: mounting {device} ({fsType}) at {target} failed: {LibC.LastError()}"));
        }
    }

    /// <summary>/dev/sdX of the disk at target:lun (any host and channel), or null.</summary>
    public string? FindScsiDevice(uint target, uint lun)
    {
        if (!Directory.Exists(ScsiDevicesDir))
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories(ScsiDevicesDir))
        {
            var parts = Path.GetFileName(dir).Split(':');
            if (parts.Length == 4 && parts[2] == target.ToString(System.Globalization.CultureInfo.InvariantCulture) &&
                parts[3] == lun.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                var block = Path.Combine(dir, "block");
                var name = Directory.Exists(block) ? Directory.EnumerateDirectories(block).Select(Path.GetFileName).FirstOrDefault() : null;
                if (name is not null)
                {
                    return "/dev/" + name;
                }
            }
        }

        return null;
    }

    /// <summary>Unmounts (lazily, so a busy mount never blocks delete).</summary>
    public void Unmount(string target)
    {
        if (LibC.umount2(target, LibC.MNT_DETACH) < 0)
        {
            _log.LogWarning("unmounting {Target} failed: {Error}", target, LibC.LastError());
        }
    }

    public void Dispose() => _shareGate.Dispose();

    private async Task EnsureShareAsync(CancellationToken cancellationToken)
    {
        if (_shareReady || _options.ShareDirGiven)
        {
            return;
        }

        await _shareGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_shareReady)
            {
                return;
            }

            Directory.CreateDirectory(_options.ShareDir);
            if (!MountInfo.IsMountPoint(_options.ShareDir) &&
                LibC.mount(AgentConstants.ShareMountTag, _options.ShareDir, "9p", 0, "trans=virtio,version=9p2000.L,msize=524288") < 0)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"mounting the pod share (9p tag {AgentConstants.ShareMountTag}) at {_options.ShareDir} failed: {LibC.LastError()}; " +
                    "the VM needs -device virtio-9p-pci,mount_tag=sevshare and the 9p modules"));
            }

            _shareReady = true;
            _log.LogInformation("pod share mounted at {Dir}", _options.ShareDir);
        }
        finally
        {
            _shareGate.Release();
        }
    }
}
