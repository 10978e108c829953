namespace SevShim.Config;

/// <summary>How container root filesystems reach the guest (ARCHITECTURE decision 7).</summary>
internal enum RootfsMode
{
    /// <summary>One virtio-9p share per pod; the host bind-mounts each container's rootfs under it.</summary>
    Shared,

    /// <summary>An ext4 image per container on the virtio-scsi controller.</summary>
    Block,
}
