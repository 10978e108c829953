namespace SevAgent.Containers;

/// <summary>
/// Which stdio ends a container process gets on the agent side (agent.proto Stdio): a terminal
/// has one output stream, so with <see cref="Terminal"/> set <see cref="Stderr"/> must be false.
/// </summary>
internal sealed record StdioSpec(bool Stdin, bool Stdout, bool Stderr, bool Terminal)
{
    /// <summary>No stdio at all (the request gave none).</summary>
    public static StdioSpec None { get; } = new(false, false, false, false);
}
