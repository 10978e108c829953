namespace SevShim.Rootfs;

/// <summary>
/// One mount the shim makes on the host under the pod's share. A bind mount
/// (<paramref name="FsType"/> null) is followed by a remount that adds nosuid,nodev (and
/// read-only when <paramref name="ReadOnly"/>), because MS_BIND ignores other flags on the first
/// call (mount(2)). <paramref name="TargetIsFile"/> makes the mount point a file (a bind mount of
/// a single file, e.g. CRI's /etc/hosts).
/// </summary>
internal sealed record HostMount(
    string Source,
    string Target,
    string? FsType,
    ulong Flags,
    string? Data,
    bool ReadOnly,
    bool TargetIsFile);
