namespace SevShim.Sandbox;

/// <summary>pids.current and pids.max (0 = unlimited).</summary>
internal sealed record PidsStats(ulong Current, ulong Limit);
