namespace SevShim.Sandbox;

/// <summary>
/// Create (not start) a container in the pod's VM. <paramref name="OciSpecJson"/> is the bundle's
/// config.json as containerd wrote it; the sandbox rewrites it for the guest.
/// </summary>
internal sealed record ContainerCreateRequest(
    string ContainerId,
    string BundlePath,
    string OciSpecJson,
    IReadOnlyList<RootfsMount> Rootfs,
    StdioPaths Stdio);
