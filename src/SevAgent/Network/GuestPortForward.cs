using Grpc.Core;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using SevAgent.Protocol.V1;
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

    public async Task RunAsync(IAsyncStreamReader<ForwardChunk> requests, IServerStreamWriter<ForwardChunk> responses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(responses);
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var first = requests.Current;
        if (first.Port is 0 or > 65535)
        {
            throw AgentException.InvalidArgument($"ForwardPort: port {first.Port} is not a TCP port (1 to 65535) in the first message");
        }

        var endpoint = new IPEndPoint(first.Ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, (int)first.Port);
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
        var up = CopyToGuestAsync(first.Data, requests, socket, stop.Token);
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

                await responses.WriteAsync(new ForwardChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken).ConfigureAwait(false);
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

    private static async Task CopyToGuestAsync(ByteString firstData, IAsyncStreamReader<ForwardChunk> requests, Socket socket, CancellationToken cancellationToken)
    {
        if (!firstData.IsEmpty)
        {
            await socket.SendAsync(firstData.Memory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            await socket.SendAsync(requests.Current.Data.Memory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}
