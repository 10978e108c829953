namespace SevAgentProto.Stdio;

/// <summary>
/// The frame types of the stdio link (ARCHITECTURE.md decision 3). Every value is below 0x20,
/// so a frame header never starts with 'S' or 'P': at a frame boundary either byte marks a new
/// host connection (LinkHandshake), which is how the guest resynchronises after a quick reconnect.
/// </summary>
public enum StdioFrameType : byte
{
    /// <summary>Host to guest: read a process's stdout or stderr (payload: <see cref="StdioOpen"/>).</summary>
    OpenOutput = 1,

    /// <summary>Host to guest: write a process's stdin (payload: <see cref="StdioOpen"/>).</summary>
    OpenInput = 2,

    /// <summary>Either way: stream bytes, at most the receiver's credit.</summary>
    Data = 3,

    /// <summary>Either way: the sender may send this many more Data bytes (payload: u32, big-endian).</summary>
    Credit = 4,

    /// <summary>
    /// Guest to host: the output reached EOF (all of it was sent), or stdin was closed as asked.
    /// Host to guest: stdin ends: the guest writes what it has, closes it and answers End.
    /// </summary>
    End = 5,

    /// <summary>Guest to host: the stream failed and is over (payload: <see cref="StdioError"/>).</summary>
    Error = 6,

    /// <summary>
    /// Host to guest: the host abandons the stream. Output not yet sent stays with the process
    /// for a later reader; stdin is released without being closed. No answer.
    /// </summary>
    Cancel = 7,
}
