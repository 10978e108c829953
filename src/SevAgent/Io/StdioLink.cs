using Microsoft.Extensions.Logging;
using SevAgent.Transport;
using SevAgentProto;

namespace SevAgent.Io;

/// <summary>
/// Starts the stdio link when the VM has its port (<see cref="AgentConstants.StdioPortName"/>):
/// the stdio server on an internal socket and a virtio-serial bridge from the port to it. Without
/// the port the shim sends stdio over gRPC, which keeps working either way.
/// </summary>
internal static class StdioLink
{
    /// <summary>Starts it; the server and bridge live as long as the agent.</summary>
    public static void Start(string stateDir, IStdioStreams streams, ILogger log)
    {
        var device = VirtioSerialBridge.FindPort(AgentConstants.StdioPortName);
        if (device is null)
        {
            log.LogInformation("no virtio-serial port {Name}: stdio goes over gRPC", AgentConstants.StdioPortName);
            return;
        }

        var server = new StdioServer(Path.Combine(stateDir, "agent-stdio.sock"), streams, log);
        server.Start();
        new VirtioSerialBridge(device, new InternalEndpoint(server.SocketPath), FrameTracker.Stdio, log).Start();
        log.LogInformation("stdio link on virtio-serial {Device}", device);
    }
}
