namespace SevAgent.Containers;

/// <summary>The kind of one entry of a copied volume; the values are agent.proto's VolumeEntryKind.</summary>
internal enum VolumeEntryType
{
    File = 0,
    Directory = 1,
    Symlink = 2,
}
