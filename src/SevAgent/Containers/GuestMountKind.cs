namespace SevAgent.Containers;

/// <summary>The source of a <see cref="GuestMountSpec"/> (agent.proto GuestMount's oneof).</summary>
internal enum GuestMountKind
{
    /// <summary>The request gave no source (refused when the container is created).</summary>
    None,

    /// <summary>A path relative to the 9p share root.</summary>
    SharedPath,

    /// <summary>A SCSI disk, mounted read-write under the bundle.</summary>
    Scsi,

    /// <summary>A tmpfs of the pod's own.</summary>
    PodTmpfs,

    /// <summary>A volume synced into the guest by SyncVolume, by name.</summary>
    CopiedVolume,

    /// <summary>A guest directory of the pod's own (an emptyDir in rootfs mode "block"), by name.</summary>
    PodDirectory,
}
