namespace SevAgentProto.Stdio;

/// <summary>Why the guest ended a stream with an Error frame (the shim maps it to its error taxonomy).</summary>
public enum StdioErrorCode : byte
{
    /// <summary>No such container or process, or it has no such stream.</summary>
    NotFound = 1,

    /// <summary>The stream exists but cannot be served now (another reader or writer has it).</summary>
    FailedPrecondition = 2,

    /// <summary>A malformed frame, or the guest failed.</summary>
    Internal = 3,
}
