namespace SevAgent.Containers;

/// <summary>An exec into a running container: the OCI process JSON and its stdio.</summary>
internal sealed record ExecSpec(string ContainerId, string ExecId, string ProcessJson, StdioSpec Stdio);
