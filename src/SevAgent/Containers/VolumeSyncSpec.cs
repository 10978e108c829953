namespace SevAgent.Containers;

/// <summary>The whole content of one copied volume (SyncVolume); a single-file volume has one file entry.</summary>
internal sealed record VolumeSyncSpec(string Name, bool SingleFile, IReadOnlyList<VolumeEntrySpec> Entries);
