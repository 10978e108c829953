namespace SevShim.Rootfs;

/// <summary>What a bind mount's host source is, as far as the mount plan cares.</summary>
internal enum HostPathKind
{
    /// <summary>Absent or unreadable: the bind itself reports it, naming the path.</summary>
    Missing,

    /// <summary>A directory: shared as a folder.</summary>
    Directory,

    /// <summary>A regular file: shared through a file bind.</summary>
    File,

    /// <summary>A unix socket: a connection cannot cross 9p into the VM.</summary>
    Socket,

    /// <summary>A character device: the host's device cannot enter the VM.</summary>
    CharDevice,

    /// <summary>A block device: the host's device cannot enter the VM.</summary>
    BlockDevice,

    /// <summary>A FIFO: 9p carries no pipe between host and guest.</summary>
    Fifo,
}
