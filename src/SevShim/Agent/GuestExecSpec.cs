namespace SevShim.Agent;

/// <summary>An additional process in a running container: its OCI process JSON and stdio.</summary>
internal sealed record GuestExecSpec(GuestProcessId Process, string ProcessJson, GuestStdioFlags Stdio);
