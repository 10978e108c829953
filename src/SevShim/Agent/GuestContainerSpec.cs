using SevShim.Rootfs;

namespace SevShim.Agent;

/// <summary>
/// A container as the agent creates it: the OCI spec rewritten for the guest (no host path and
/// no host namespace left in it), its rootfs, stdio, the guest side of its mounts and the pod
/// namespaces it joins (type, the container whose namespace it is).
/// </summary>
internal sealed record GuestContainerSpec(
    string ContainerId,
    string OciSpecJson,
    GuestRootfs Rootfs,
    GuestStdioFlags Stdio,
    IReadOnlyList<GuestMountMapping> Mounts,
    IReadOnlyList<(string Type, string ContainerId)> NamespaceJoins);
