using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>The State RPC's answer on domain types.</summary>
internal sealed record ProcessStatus(
    string ContainerId,
    string ExecId,
    string Bundle,
    uint Pid,
    ProcessState State,
    StdioPaths Stdio,
    uint ExitStatus,
    DateTimeOffset? ExitedAt);
