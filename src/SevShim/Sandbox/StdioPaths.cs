namespace SevShim.Sandbox;

/// <summary>
/// Where a process's stdio goes (SHIM-PROTOCOL.md 5): FIFO paths or log URIs (file://, binary://)
/// from containerd; an empty string means the stream is not used. With a terminal, stdout
/// carries everything and stderr is unused.
/// </summary>
internal sealed record StdioPaths(string Stdin, string Stdout, string Stderr, bool Terminal)
{
    /// <summary>No stdio at all (CRI's sandbox container uses this).</summary>
    public static StdioPaths None { get; } = new(string.Empty, string.Empty, string.Empty, false);
}
