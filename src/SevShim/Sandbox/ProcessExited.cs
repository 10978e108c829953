namespace SevShim.Sandbox;

/// <summary>
/// A process of a container ended. <paramref name="ExecId"/> is empty for the container's init
/// process. <paramref name="ExitStatus"/> follows the shell convention (128 + signal when killed).
/// </summary>
internal sealed record ProcessExited(
    string ContainerId,
    string ExecId,
    uint Pid,
    uint ExitStatus,
    DateTimeOffset ExitedAt)
    : SandboxEvent(ContainerId);
