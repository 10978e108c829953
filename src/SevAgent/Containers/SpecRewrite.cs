namespace SevAgent.Containers;

/// <summary>What the agent imposes on a spec: guest rootfs, terminal, cgroup and mount sources.</summary>
/// <param name="RootfsPath">The rootfs directory in the guest.</param>
/// <param name="Readonly">root.readonly.</param>
/// <param name="Terminal">process.terminal.</param>
/// <param name="CgroupsPath">linux.cgroupsPath chosen by the agent.</param>
/// <param name="MountSources">Guest source per OCI mount destination, for mounts with a host source.</param>
/// <param name="NamespacePaths">Guest path per namespace type to join (<see cref="NamespaceJoins"/>); every other path is dropped.</param>
internal sealed record SpecRewrite(
    string RootfsPath,
    bool Readonly,
    bool Terminal,
    string CgroupsPath,
    IReadOnlyDictionary<string, string> MountSources,
    IReadOnlyDictionary<string, string> NamespacePaths);
