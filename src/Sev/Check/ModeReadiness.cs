namespace Sev.Check;

/// <summary>Whether pods of one mode can run on this host, and if not, the blocking items.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Ready">True when no item gating the mode failed.</param>
/// <param name="Blockers">The failing items that gate the mode.</param>
public sealed record ModeReadiness(SevMode Mode, bool Ready, IReadOnlyList<CheckItem> Blockers);
