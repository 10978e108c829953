namespace SevShim.Rootfs;

/// <summary>
/// An OCI mount destination and what the agent mounts there instead of a host path: a
/// share-relative path (<paramref name="SharedPath"/>), or, when <see cref="PodTmpfs"/> is set,
/// the pod's guest tmpfs of that name (its /dev/shm), made with <see cref="PodTmpfsBytes"/>; in
/// rootfs mode "block" a guest copy of a host volume (<see cref="Copy"/>), an ext4 disk image of a
/// volume too large to copy (<see cref="ScsiTarget"/>) or a guest directory of the pod
/// (<see cref="PodDirectory"/>, an emptyDir).
/// </summary>
internal sealed record GuestMountMapping(string Destination, string SharedPath)
{
    /// <summary>The pod tmpfs to mount instead of a share path, or null.</summary>
    public string? PodTmpfs { get; init; }

    /// <summary>The pod tmpfs's size in bytes.</summary>
    public ulong PodTmpfsBytes { get; init; }

    /// <summary>The host volume the guest gets a copy of, or null.</summary>
    public CopiedVolume? Copy { get; init; }

    /// <summary>The pod directory (guest-only, shared by the pod's containers) to mount, or null.</summary>
    public string? PodDirectory { get; init; }

    /// <summary>The SCSI target of the volume's ext4 disk image (LUN 0), or null.</summary>
    public uint? ScsiTarget { get; init; }

    /// <summary>With <see cref="ScsiTarget"/>: the guest mounts the disk read-only.</summary>
    public bool ScsiReadOnly { get; init; }

    /// <summary>With <see cref="ScsiTarget"/>: the one file in the disk's root that is the source (a single-file volume), or null for the disk's root.</summary>
    public string? ScsiFile { get; init; }
}
