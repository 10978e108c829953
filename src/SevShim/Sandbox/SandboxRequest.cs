namespace SevShim.Sandbox;

/// <summary>
/// What the first container of a pod tells the sandbox factory: the pod's id (the
/// io.kubernetes.cri.sandbox-id annotation, else the container's own id, ARCHITECTURE.md
/// decision 2), that container's bundle and OCI spec, and the runtime options' ConfigPath
/// (runtimeoptions.v1.Options, SHIM-PROTOCOL.md 6) when containerd sent one.
/// </summary>
internal sealed record SandboxRequest(
    string SandboxId,
    string FirstContainerId,
    string BundlePath,
    string OciSpecJson,
    string? RuntimeConfigPath);
