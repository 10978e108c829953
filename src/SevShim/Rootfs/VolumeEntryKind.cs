namespace SevShim.Rootfs;

/// <summary>What a copied volume's entry is.</summary>
internal enum VolumeEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link, copied as a link (kubelet's "..data" scheme relies on it).</summary>
    Symlink,
}
