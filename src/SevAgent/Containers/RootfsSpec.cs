namespace SevAgent.Containers;

/// <summary>
/// Where a container's root file system comes from: a folder of the 9p share
/// (<see cref="SharedPath"/>) or a SCSI disk (<see cref="Scsi"/>); neither set is a request
/// without a source, refused when the container is created.
/// </summary>
internal sealed record RootfsSpec(string? SharedPath, ScsiDisk? Scsi, bool ReadOnly);
