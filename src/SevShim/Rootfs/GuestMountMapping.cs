namespace SevShim.Rootfs;

/// <summary>An OCI mount destination and the share-relative path the agent mounts there instead of a host path.</summary>
internal sealed record GuestMountMapping(string Destination, string SharedPath);
