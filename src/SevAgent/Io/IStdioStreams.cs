using SevAgent.Containers;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>
/// The process streams the stdio link serves. Failures are <see cref="Errors.AgentException"/>s
/// (NotFound for an unknown process, FailedPrecondition for a stream it does not have).
/// </summary>
internal interface IStdioStreams
{
    /// <summary>The pump of one output, or null when the process has none to give (stderr with a terminal: an empty stream).</summary>
    OutputPump? Output(string containerId, string execId, StdioOutputKind kind);

    /// <summary>The stdin writer of a process and its name for messages.</summary>
    (StdinWriter Writer, string Name) Input(string containerId, string execId);
}
