using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SevAgent.Errors;
using SevAgent.Guest;
using SevAgent.Hosting;
using SevAgent.Native;
using SevAgentProto;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// Finds and mounts container root file systems and extra mount sources in the guest: a folder
/// of the pod's 9p share (tag "sevshare", mounted once on first use: a pod in rootfs mode "block"
/// asks for no share path, so its guest never mounts one; its VM has no 9p device) or a virtio-scsi disk found
/// by target and LUN under /sys/bus/scsi/devices (ARCHITECTURE.md decision 7).
/// </summary>
internal sealed class RootfsMounter : IDisposable
{
    private readonly AgentOptions _options;
    private readonly ILogger<RootfsMounter> _log;
    // The kernel modules each kind of source needs (init loads them in the background; names as
    // in /sys/module). ext4 also serves ext2 and ext3; other file systems are not in the image's
    // background list, so nothing is waited for them.
    private static readonly string[] ShareModules = ["9pnet_virtio", "9p"];
    private static readonly string[] DiskModules = ["virtio_scsi", "sd_mod"];

    private readonly ModuleLoadGate _modules;
    private readonly SemaphoreSlim _shareGate = new(1, 1);
    private bool _shareReady;

    public RootfsMounter(AgentOptions options, ModuleLoadGate modules, VolumeCopies copies, ILogger<RootfsMounter> log)
    {
        _options = options;
        _modules = modules;
        Copies = copies;
        _log = log;
    }

    /// <summary>The guest copies of host volumes (rootfs mode "block").</summary>
    public VolumeCopies Copies { get; }

    /// <summary>
    /// The guest directory <paramref name="name"/> of the pod (an emptyDir in rootfs mode "block"),
    /// made with mode 0777 on first use as kubelet makes an emptyDir; later uses share it. It lives
    /// in the guest's memory until the guest stops.
    /// </summary>
    public string EnsurePodDirectory(string name, string what)
    {
        PathGuard.CheckId(name, what);
        var dir = Path.Combine(_options.StateDir, "pod-dirs", name);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            _ = Posix.chmod(dir, 0x1FF);
        }

        return dir;
    }

    /// <summary>How long <see cref="WaitForScsiDevice"/> waits for a hot-plugged disk.</summary>
    public TimeSpan ScsiWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where SCSI devices are listed (a test may point it elsewhere).</summary>
    public string ScsiDevicesDir { get; init; } = "/sys/bus/scsi/devices";

    /// <summary>The guest directory of a share path (INVALID_ARGUMENT when it escapes the share).</summary>
    public async Task<string> ResolveSharedAsync(string relative, string what, CancellationToken cancellationToken)
    {
        await EnsureShareAsync(cancellationToken).ConfigureAwait(false);
        return PathGuard.ResolveUnder(_options.ShareDir, relative, what);
    }

    /// <summary>
    /// Mounts a SCSI disk at <paramref name="target"/> (created); the caller unmounts it. "ro" and
    /// "rw" in the disk's options are the mount's flags (the host sends "ro" for a read-only
    /// volume's image), the rest the file system's data.
    /// </summary>
    public async Task MountScsiAsync(ScsiDisk disk, string target, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var fsType = disk.FsType.Length > 0 ? disk.FsType : "ext4";
        if (fsType is not ("ext4" or "xfs" or "ext3" or "ext2" or "btrfs" or "squashfs" or "erofs" or "vfat"))
        {
            throw AgentException.InvalidArgument($"{what}: file system type '{fsType}' is not supported (ext4, xfs, btrfs, squashfs, erofs, vfat)");
        }

        await _modules.WaitForAsync(fsType is "ext4" or "ext3" or "ext2" ? [.. DiskModules, "ext4"] : DiskModules, cancellationToken).ConfigureAwait(false);
        var device = WaitForScsiDevice(disk.Target, disk.Lun) ?? throw AgentException.InvalidArgument($"{what}: no SCSI disk with target {disk.Target} LUN {disk.Lun} in {ScsiDevicesDir}: attach it to the pod's virtio-scsi controller first");
        Directory.CreateDirectory(target);
        var (flags, options) = MountFlags(disk.Options);
        var deadline = DateTime.UtcNow + ScsiWait;
        while (Posix.mount(device, target, fsType, flags, options) < 0)
        {
            // sd publishes the disk in sysfs (and asks devtmpfs for the node) before the block
            // layer makes it openable (device_add_disk: device_add, then bdev_add), so a disk
            // found a moment after hot-plug can answer ENXIO; seen under TCG. Wait that out.
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Posix.ENXIO || DateTime.UtcNow >= deadline)
            {
                throw AgentException.Internal($"{what}: mounting {device} ({fsType}) at {target} failed: {Posix.ErrorText(errno)}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>The flags and the file system data of a comma-separated option list: "ro" is MS_RDONLY, "rw" the default.</summary>
    public static (ulong Flags, string? Data) MountFlags(string options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parts = options.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var flags = parts.Contains("ro", StringComparer.Ordinal) ? Posix.MS_RDONLY : 0;
        var data = string.Join(',', parts.Where(p => p is not ("ro" or "rw")));
        return (flags, data.Length > 0 ? data : null);
    }

    /// <summary>
    /// <see cref="FindScsiDevice"/>, waiting for a disk the host has just hot-plugged: the guest
    /// kernel scans the new target when virtio-scsi announces it, and sd binds a moment later.
    /// After a short wait every SCSI host is asked to rescan once (sysfs "scan", in case the
    /// announcement was missed). Gives up after <see cref="ScsiWait"/>.
    /// </summary>
    public string? WaitForScsiDevice(uint target, uint lun)
    {
        var deadline = DateTime.UtcNow + ScsiWait;
        var rescanned = false;
        for (var waited = 0; ; waited++)
        {
            if (FindScsiDevice(target, lun) is { } device && File.Exists(device))
            {
                return device;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return null;
            }

            if (!rescanned && waited >= 20)
            {
                rescanned = true;
                RescanScsiHosts();
            }

            Thread.Sleep(100);
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

    private void RescanScsiHosts()
    {
        const string Hosts = "/sys/class/scsi_host";
        if (!Directory.Exists(Hosts))
        {
            return;
        }

        foreach (var host in Directory.EnumerateDirectories(Hosts))
        {
            try
            {
                File.WriteAllText(Path.Combine(host, "scan"), "- - -");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.LogDebug("rescanning {Host} failed: {Error}", host, e.Message);
            }
        }
    }

    /// <summary>
    /// The guest directory of the pod tmpfs <paramref name="name"/> (the pod's /dev/shm), mounted
    /// at &lt;state-dir&gt;/pod/&lt;name&gt; on its first use with mode 1777, nosuid, nodev and noexec
    /// as the CRI makes its host shm (CRI.md 1.5); later uses share it. It lives until the guest
    /// stops. Lock: <see cref="_shareGate"/> (also serialises the share mount; both are rare).
    /// </summary>
    public async Task<string> EnsurePodTmpfsAsync(PodTmpfsSpec tmpfs, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tmpfs);
        PathGuard.CheckId(tmpfs.Name, what + " name");
        var dir = Path.Combine(_options.StateDir, "pod", tmpfs.Name);
        await _shareGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (MountInfo.IsMountPoint(dir))
            {
                return dir;
            }

            Directory.CreateDirectory(dir);
            var data = tmpfs.SizeBytes > 0 ? $"mode=1777,size={tmpfs.SizeBytes}" : "mode=1777";
            if (Posix.mount("shm", dir, "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV | Posix.MS_NOEXEC, data) < 0)
            {
                throw AgentException.Internal($"{what}: mounting a tmpfs ({data}) at {dir} failed: {Posix.LastError()}");
            }

            _log.LogInformation("pod tmpfs {Name} mounted at {Dir} ({Data})", tmpfs.Name, dir, data);
            return dir;
        }
        finally
        {
            _shareGate.Release();
        }
    }

    /// <summary>Unmounts (lazily, so a busy mount never blocks delete).</summary>
    public void Unmount(string target)
    {
        if (Posix.umount2(target, Posix.MNT_DETACH) < 0)
        {
            _log.LogWarning("unmounting {Target} failed: {Error}", target, Posix.LastError());
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

            await _modules.WaitForAsync(ShareModules, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(_options.ShareDir);
            if (!MountInfo.IsMountPoint(_options.ShareDir) &&
                Posix.mount(AgentConstants.ShareMountTag, _options.ShareDir, "9p", 0, "trans=virtio,version=9p2000.L,msize=524288") < 0)
            {
                throw AgentException.FailedPrecondition($"mounting the pod share (9p tag {AgentConstants.ShareMountTag}) at {_options.ShareDir} failed: {Posix.LastError()}; " +
                    "a share path needs the pod's 9p device (-device virtio-9p-pci,mount_tag=sevshare), which the shim attaches in rootfs mode \"shared\" only, and the 9p modules");
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
