namespace SevAgent.Containers;

/// <summary>
/// One entry of a copied volume: a relative '/'-separated path (checked by VolumeCopies), the
/// permission bits, a file's content or a symlink's target as written.
/// </summary>
internal sealed record VolumeEntrySpec(string Path, VolumeEntryType Kind, uint Mode, ReadOnlyMemory<byte> Content, string LinkTarget);
