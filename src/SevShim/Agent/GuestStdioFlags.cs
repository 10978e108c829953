namespace SevShim.Agent;

/// <summary>Which stdio streams the agent must provide for a process (with a terminal, no stderr).</summary>
internal sealed record GuestStdioFlags(bool Stdin, bool Stdout, bool Stderr, bool Terminal);
