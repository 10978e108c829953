namespace SevShim.Rootfs;

/// <summary>
/// An OCI mount destination and what the agent mounts there instead of a host path: a
/// share-relative path (<paramref name="SharedPath"/>), or, when <see cref="PodTmpfs"/> is set,
/// the pod's guest tmpfs of that name (its /dev/shm), made with <see cref="PodTmpfsBytes"/>.
/// </summary>
internal sealed record GuestMountMapping(string Destination, string SharedPath)
{
    /// <summary>The pod tmpfs to mount instead of a share path, or null.</summary>
    public string? PodTmpfs { get; init; }

    /// <summary>The pod tmpfs's size in bytes.</summary>
    public ulong PodTmpfsBytes { get; init; }
}
