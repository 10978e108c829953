using SevShim.Agent;
using SevShim.Qemu;
using SevShim.Rootfs;

namespace SevShim.Sandbox;

/// <summary>
/// What the host holds for one container's files (<see cref="ContainerStorage"/>): its mounts
/// in the pod share, its rootfs disk and the disks of its volumes too large to copy in block
/// mode, and how the guest finds them.
/// Ownership: released by <see cref="ContainerStorage.ReleaseAsync"/>.
/// </summary>
internal sealed record ContainerFiles(
    string ContainerId,
    AppliedMounts Mounts,
    ScsiDisk? RootfsDisk,
    GuestRootfs Rootfs,
    IReadOnlyList<GuestMountMapping> GuestMounts,
    IReadOnlyList<ScsiDisk> VolumeDisks);
