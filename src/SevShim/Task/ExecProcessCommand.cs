using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>ExecProcessRequest on domain types; <paramref name="ProcessSpecJson"/> is the OCI Process JSON.</summary>
internal sealed record ExecProcessCommand(
    string ContainerId,
    string ExecId,
    StdioPaths Stdio,
    string ProcessSpecJson);
