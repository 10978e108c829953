using System.Collections.Concurrent;
using SevShim.Rootfs;

namespace SevShim.Sandbox;

/// <summary>A container in the pod VM: its host mounts and its processes (init under the empty exec id).</summary>
internal sealed class QemuGuestContainer(string id, AppliedMounts mounts)
{
    /// <summary>The container id.</summary>
    public string Id { get; } = id;

    /// <summary>What is mounted for it in the pod share (owned; removed at delete).</summary>
    public AppliedMounts Mounts { get; } = mounts;

    /// <summary>The block rootfs disk (rootfs.mode = "block"), or null; detached and deleted at delete.</summary>
    public Qemu.ScsiDisk? RootfsDisk { get; init; }

    /// <summary>Processes by exec id ("" = init).</summary>
    public ConcurrentDictionary<string, QemuGuestProcess> Processes { get; } = new(StringComparer.Ordinal);

    /// <summary>Releases of deleted execs still under way, by exec id (each removes itself when done).</summary>
    public ConcurrentDictionary<string, Task> Releasing { get; } = new(StringComparer.Ordinal);
}
