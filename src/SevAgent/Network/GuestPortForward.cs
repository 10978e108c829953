using System.Net;
using System.Net.Sockets;
using SevAgent.Errors;

namespace SevAgent.Network;

/// <summary>
/// The guest end of one port-forward (agent.proto ForwardPort): a TCP connection to
/// localhost:port in the pod VM, carried over the call. Semantics follow containerd's own
/// forwarder (pkg/cri/server/sandbox_portforward_linux.go: copy both ways, stop when the
/// pod's side is done): the host ending its stream half-closes the connection; the connection's
/// EOF ends the call, whatever the host still sends. Ownership: the socket lives for the call.
/// </summary>
internal sealed class GuestPortForward
{
    private const int ChunkSize = 32 * 1024;

    private readonly ILogger<GuestPortForward> _log;

    public GuestPortForward(ILogger<GuestPortForward> log) => _log = log;

    public async Task RunAsync(ForwardTarget target, IForwardStream host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(host);
        if (target.Port is 0 or > 65535)
        {
            throw AgentException.InvalidArgument($"ForwardPort: port {target.Port} is not a TCP port (1 to 65535) in the first message");
        }

        var endpoint = new IPEndPoint(target.Ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, (int)target.Port);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw AgentException.Unavailable($"nothing accepts TCP connections on {endpoint} in the pod VM ({ex.SocketErrorCode})");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = CopyToGuestAsync(target.FirstData, host, socket, stop.Token);
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await host.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SocketException ex)
        {
            _log.LogDebug("port-forward to {Endpoint} ended: {Error}", endpoint, ex.SocketErrorCode);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await up.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task CopyToGuestAsync(ReadOnlyMemory<byte> firstData, IForwardStream host, Socket socket, CancellationToken cancellationToken)
    {
        if (!firstData.IsEmpty)
        {
            await socket.SendAsync(firstData, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        while (await host.ReadAsync(cancellationToken).ConfigureAwait(false) is { } data)
        {
            await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}
