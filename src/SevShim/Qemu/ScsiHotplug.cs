using System.Text.Json.Nodes;
using Qemu;
using Serilog;
using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// Hot-plugs raw disk images on the pod's virtio-scsi controller over QMP (QEMU qapi/block-core
/// blockdev-add and blockdev-del, qapi/qdev device_add and device_del): a "file" protocol node
/// under a "raw" format node, then a scsi-hd on bus <c>scsi0.0</c> at its own target, LUN 0.
/// QEMU's virtio-scsi announces the new target to the guest, whose kernel scans it; the agent
/// waits for the disk to appear. Targets are handed out in order and never reused in a pod, so a
/// late unplug cannot be confused with a new disk.
/// Ownership: owns one QMP connection, opened on first use; one operation at a time (semaphore).
/// </summary>
internal sealed class ScsiHotplug(string qmpSocket, ILogger log) : IAsyncDisposable
{
    // virtio-scsi has targets 0..255 (QEMU VIRTIO_SCSI_MAX_TARGET).
    private const uint MaxTarget = 255;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private QmpClient? _qmp;
    private uint _nextTarget;

    /// <summary>Attaches <paramref name="imagePath"/> (raw, read-write) as a new SCSI disk.</summary>
    public async Task<ScsiDisk> AttachAsync(string imagePath, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_nextTarget > MaxTarget)
            {
                throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: the pod's virtio-scsi controller has no free target left ({MaxTarget + 1} disks were attached)");
            }

            // Ids from the target: QEMU node names must stay under 32 characters, container ids need not.
            var target = _nextTarget++;
            var disk = new ScsiDisk(imagePath, $"rootfs{target}", $"rootfs-dev{target}", target);
            var qmp = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(Timeout);
            await ExecuteAsync(qmp, "blockdev-add", new JsonObject
            {
                ["driver"] = "raw",
                ["node-name"] = disk.NodeName,
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = imagePath },
            }, limit.Token).ConfigureAwait(false);
            try
            {
                await ExecuteAsync(qmp, "device_add", new JsonObject
                {
                    ["driver"] = "scsi-hd",
                    ["id"] = disk.DeviceId,
                    ["bus"] = QemuCommandLine.ScsiControllerId + ".0",
                    ["channel"] = 0,
                    ["scsi-id"] = disk.Target,
                    ["lun"] = 0,
                    ["drive"] = disk.NodeName,
                }, limit.Token).ConfigureAwait(false);
            }
            catch
            {
                await TryExecuteAsync(qmp, "blockdev-del", new JsonObject { ["node-name"] = disk.NodeName }).ConfigureAwait(false);
                throw;
            }

            log.Information("disk {Image} attached as SCSI target {Target} ({Device})", imagePath, disk.Target, disk.DeviceId);
            return disk;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Detaches a disk (best effort: failures are logged; the VM's end removes it anyway).</summary>
    public async Task DetachAsync(ScsiDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var qmp = await ConnectAsync(CancellationToken.None).ConfigureAwait(false);

            // SCSI unplug needs no guest cooperation: QEMU removes the device at once and sends
            // DEVICE_DELETED; until then the node is in use, so blockdev-del is retried briefly.
            await TryExecuteAsync(qmp, "device_del", new JsonObject { ["id"] = disk.DeviceId }).ConfigureAwait(false);
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if (await TryExecuteAsync(qmp, "blockdev-del", new JsonObject { ["node-name"] = disk.NodeName }, quiet: attempt < 49).ConfigureAwait(false))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ShimException or IOException or QmpConnectionClosedException)
        {
            log.Warning("detaching disk {Device} failed: {Message}", disk.DeviceId, ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_qmp is not null)
        {
            await _qmp.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private static async Task ExecuteAsync(QmpClient qmp, string command, JsonObject arguments, CancellationToken cancellationToken)
    {
        try
        {
            await qmp.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException ex)
        {
            throw new ShimException(ShimErrorKind.Internal, $"sevshim: QEMU refused {command} for a block rootfs disk: {ex.ErrorClass}: {ex.Description}", ex);
        }
        catch (QmpConnectionClosedException ex)
        {
            throw new ShimException(ShimErrorKind.Unavailable, $"sevshim: QEMU's QMP connection closed during {command}: {ex.Message}", ex);
        }
    }

    private async Task<bool> TryExecuteAsync(QmpClient qmp, string command, JsonObject arguments, bool quiet = false)
    {
        try
        {
            using var limit = new CancellationTokenSource(Timeout);
            await qmp.ExecuteAsync(command, arguments, limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is QmpErrorException or QmpConnectionClosedException or OperationCanceledException)
        {
            if (!quiet)
            {
                log.Warning("QMP {Command} failed: {Message}", command, ex.Message);
            }

            return false;
        }
    }

    private async Task<QmpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_qmp is { Completion.IsCompleted: false })
        {
            return _qmp;
        }

        if (_qmp is not null)
        {
            await _qmp.DisposeAsync().ConfigureAwait(false);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        _qmp = await QmpClient.ConnectAsync(qmpSocket, limit.Token).ConfigureAwait(false);
        return _qmp;
    }
}
