namespace SevAgent.Containers;

/// <summary>
/// The guest source of one OCI mount of a container, by its <see cref="Destination"/>.
/// <see cref="Name"/> is the share path, volume or directory name for the kinds that have one
/// (for a SCSI disk: the file in its root that is the source, or empty for the disk's root);
/// <see cref="Scsi"/> and <see cref="Tmpfs"/> are set for their kinds only.
/// </summary>
internal sealed record GuestMountSpec(string Destination, GuestMountKind Kind, string Name, ScsiDisk? Scsi = null, PodTmpfsSpec? Tmpfs = null);
