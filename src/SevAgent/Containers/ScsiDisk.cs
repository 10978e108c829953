namespace SevAgent.Containers;

/// <summary>A disk on the pod's virtio-scsi controller, by target and LUN; an empty <see cref="FsType"/> means ext4.</summary>
internal sealed record ScsiDisk(uint Target, uint Lun, string FsType, string Options);
