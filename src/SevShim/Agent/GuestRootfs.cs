namespace SevShim.Agent;

/// <summary>
/// Where the guest finds a container's rootfs: a folder of the pod share (rootfs.mode "shared")
/// or a hot-plugged SCSI disk with an ext4 image (rootfs.mode "block", ARCHITECTURE decision 7).
/// Exactly one of <see cref="SharedPath"/> and <see cref="ScsiTarget"/> is set.
/// </summary>
internal sealed record GuestRootfs(string? SharedPath, uint? ScsiTarget, bool ReadOnly)
{
    /// <summary>A folder of the pod share, relative to its root.</summary>
    public static GuestRootfs Shared(string path, bool readOnly) => new(path, null, readOnly);

    /// <summary>The ext4 disk at SCSI target <paramref name="target"/>, LUN 0.</summary>
    public static GuestRootfs Scsi(uint target, bool readOnly) => new(null, target, readOnly);
}
