namespace SevShim.Rootfs;

/// <summary>One entry of a copied volume: its '/'-separated relative path (empty for a single-file volume), what it is, its permission bits, a file's bytes, a symlink's target.</summary>
internal sealed record VolumeEntry(string Path, VolumeEntryKind Kind, uint Mode, ReadOnlyMemory<byte> Content, string LinkTarget);
