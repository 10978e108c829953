namespace SevShim.Qemu;

/// <summary>
/// A disk hot-plugged on the pod's virtio-scsi controller: the image file, QEMU's block node
/// and scsi-hd device ids, and the SCSI target the guest finds it at (LUN 0).
/// </summary>
internal sealed record ScsiDisk(string ImagePath, string NodeName, string DeviceId, uint Target);
