using SevAgent.Containers;
using SevAgentProto.Stdio;

namespace SevAgent.Io;

/// <summary>The streams of the agent's container processes (what ReadStdout, ReadStderr and WriteStdin serve over gRPC).</summary>
internal sealed class ProcessStdioStreams(ContainerProcesses processes) : IStdioStreams
{
    /// <inheritdoc/>
    public OutputPump? Output(string containerId, string execId, StdioOutputKind kind)
    {
        var process = processes.Get(containerId, execId);
        return kind == StdioOutputKind.Stdout ? process.RequireStdout() : process.Terminal ? null : process.RequireStderr();
    }

    /// <inheritdoc/>
    public (StdinWriter Writer, string Name) Input(string containerId, string execId)
    {
        var process = processes.Get(containerId, execId);
        return (process.RequireStdin(), process.Name);
    }
}
