namespace SevShim.Tasks;

/// <summary>
/// How a process ended (Wait, Delete). <paramref name="ExitedAt"/> is null only for a process
/// that never ran.
/// </summary>
internal sealed record ExitResult(uint Pid, uint ExitStatus, DateTimeOffset? ExitedAt);
