using System.Net.Sockets;
using Grpc.Net.Client;

namespace SevAgentProto;

/// <summary>
/// Host-side channels to the agent. Every connection is one byte stream carrying HTTP/2 with
/// prior knowledge (h2c): the handler's ConnectCallback opens the stream, and the request
/// version policy forbids any downgrade to HTTP/1.1 (grpc-dotnet's documented pattern for
/// custom transports, examples/Transporter).
/// </summary>
public static class AgentChannel
{
    /// <summary>
    /// A channel over a unix socket: QEMU's chardev socket behind the virtio-serial port
    /// "sevagent.0", or the agent's own --listen unix:PATH in tests.
    /// </summary>
    public static GrpcChannel ForUnixSocket(string path, GrpcChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Create(
            async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            options);
    }

    /// <summary>A channel over AF_VSOCK to the guest with context id <paramref name="cid"/>.</summary>
    public static GrpcChannel ForVsock(uint cid, uint port = AgentConstants.VsockPort, GrpcChannelOptions? options = null)
    {
        var endPoint = new VsockEndPoint(cid, port);
        return Create(
            async (_, cancellationToken) =>
            {
                // connect(2) on vsock has no async form in .NET: run it off the caller's thread.
                var socket = await Task.Run(() => Vsock.Connect(endPoint), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
            options);
    }

    /// <summary>A channel whose connections come from <paramref name="connect"/> (any byte stream).</summary>
    public static GrpcChannel Create(
        Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect,
        GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = connect,
            // The agent link is private; keep the connection for the pod's life.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = false,
        };
        options ??= new GrpcChannelOptions();
        options.HttpHandler = handler;
        options.DisposeHttpClient = true;
        options.MaxReceiveMessageSize ??= 16 * 1024 * 1024;
        return GrpcChannel.ForAddress(AgentConstants.ChannelAddress, options);
    }
}
