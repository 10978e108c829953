namespace SevShim.Sandbox;

/// <summary>Something the pod's VM reports on its own: a process exited, or a container hit OOM.</summary>
internal abstract record SandboxEvent(string ContainerId);
