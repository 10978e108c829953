namespace SevShim.Agent;

/// <summary>Which output stream of a guest process.</summary>
internal enum GuestOutputKind
{
    /// <summary>Standard output (the terminal's, with a tty).</summary>
    Stdout,

    /// <summary>Standard error (none with a tty).</summary>
    Stderr,
}
