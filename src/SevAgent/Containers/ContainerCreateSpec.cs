namespace SevAgent.Containers;

/// <summary>
/// What CreateContainer asks for, in the agent's own terms. <see cref="Rootfs"/> is null when
/// the request gave none; ids and paths are still unchecked (the host is not trusted).
/// </summary>
internal sealed record ContainerCreateSpec(
    string Id,
    string OciSpecJson,
    StdioSpec Stdio,
    RootfsSpec? Rootfs,
    IReadOnlyList<GuestMountSpec> Mounts,
    IReadOnlyList<NamespaceJoinSpec> NamespaceJoins);
