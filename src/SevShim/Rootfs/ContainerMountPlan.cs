namespace SevShim.Rootfs;

/// <summary>
/// What the shim mounts on the host for one container and what the guest gets instead of host
/// paths: <paramref name="GuestSpecJson"/> has root.path and every bind source replaced by paths
/// relative to the pod's 9p share (the agent resolves them under its share mount and refuses any
/// that escape it).
/// </summary>
internal sealed record ContainerMountPlan(
    string ContainerDirectory,
    string RootfsSharedPath,
    bool RootfsReadOnly,
    IReadOnlyList<HostMount> Mounts,
    IReadOnlyList<GuestMountMapping> GuestMounts,
    string GuestSpecJson);
