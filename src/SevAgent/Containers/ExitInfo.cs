namespace SevAgent.Containers;

/// <summary>How a process ended: shell-style exit status (128 + signal when killed) and when.</summary>
internal sealed record ExitInfo(int ExitStatus, DateTimeOffset ExitedAt);
