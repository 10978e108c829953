namespace SevShim.Sandbox;

/// <summary>
/// Start an additional process in a running container. <paramref name="ProcessSpecJson"/> is the
/// OCI Process JSON from ExecProcessRequest.spec (SHIM-PROTOCOL.md 2.3).
/// </summary>
internal sealed record ExecRequest(
    string ContainerId,
    string ExecId,
    string ProcessSpecJson,
    StdioPaths Stdio);
