namespace SevAgentProto.Stdio;

/// <summary>Which stream of a process a <see cref="StdioFrameType.OpenOutput"/> reads.</summary>
public enum StdioOutputKind : byte
{
    /// <summary>stdout (with a terminal: the terminal's output).</summary>
    Stdout = 1,

    /// <summary>stderr (none with a terminal).</summary>
    Stderr = 2,
}
