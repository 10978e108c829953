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
    /// A channel over a plain unix socket: the agent's own --listen unix:PATH. (Also works against
    /// QEMU's virtio-serial chardev, but without protection against a quick reconnect: prefer
    /// <see cref="ForVirtioSerial"/> there.)
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

    /// <summary>
    /// A channel over QEMU's chardev socket behind the virtio-serial port "sevagent.0". Each
    /// connection starts with the <see cref="LinkHandshake"/> so that no byte of an earlier
    /// connection can reach it; an attempt that gets no answer within
    /// <paramref name="attemptTimeout"/> (2 s by default: the agent may still be booting, and a sync
    /// line sent before the agent opened the port is discarded by the guest) is retried until the
    /// call's own deadline or cancellation.
    /// </summary>
    public static GrpcChannel ForVirtioSerial(string chardevSocketPath, GrpcChannelOptions? options = null, TimeSpan? attemptTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(chardevSocketPath);
        var timeout = attemptTimeout ?? TimeSpan.FromSeconds(2);
        return Create(async (_, cancellationToken) => await ConnectVirtioSerialAsync(chardevSocketPath, timeout, cancellationToken).ConfigureAwait(false), options);
    }

    /// <summary>Opens one handshaken byte stream to the agent behind a virtio-serial chardev socket.</summary>
    public static async Task<Stream> ConnectVirtioSerialAsync(string chardevSocketPath, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(chardevSocketPath), cancellationToken).ConfigureAwait(false);
                // The nonce only tells this attempt's ready line from a stale one left in the port
                // (LinkHandshake); it needs no cryptographic randomness, and RandomNumberGenerator
                // would load libcrypto and libssl into the shim daemon: 3.4 MiB of its RSS (issue 6).
                var nonceBytes = new byte[16];
                Random.Shared.NextBytes(nonceBytes);
                var nonce = Convert.ToHexString(nonceBytes);
                await socket.SendAsync(LinkHandshake.SyncLine(nonce), cancellationToken).ConfigureAwait(false);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(attemptTimeout);
                if (await AwaitReadyAsync(socket, LinkHandshake.ReadyLine(nonce), attempt.Token).ConfigureAwait(false))
                {
                    return new NetworkStream(socket, ownsSocket: true);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer in time: the agent is not up yet or missed the line; try a new connection.
            }
            catch (SocketException)
            {
                // QEMU not listening yet, or it dropped us.
            }

            socket.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }

    // Reads byte by byte so that nothing after the ready line (the agent's HTTP/2 settings) is consumed.
    private static async Task<bool> AwaitReadyAsync(Socket socket, byte[] ready, CancellationToken cancellationToken)
    {
        var window = new byte[ready.Length];
        var filled = 0;
        var one = new byte[1];
        while (true)
        {
            if (await socket.ReceiveAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }

            if (filled == window.Length)
            {
                Array.Copy(window, 1, window, 0, window.Length - 1);
                filled--;
            }

            window[filled++] = one[0];
            if (filled == window.Length && window.AsSpan().SequenceEqual(ready))
            {
                return true;
            }
        }
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
            // Stdout streams are the bulk traffic (issue #6): with the 64 KiB default the agent
            // stalls on WINDOW_UPDATE round trips through the slow guest after every few
            // frames. The window still bounds what the shim buffers per stream.
            InitialHttp2StreamWindowSize = 1024 * 1024,
        };
        options ??= new GrpcChannelOptions();
        options.HttpHandler = handler;
        options.DisposeHttpClient = true;
        options.MaxReceiveMessageSize ??= 16 * 1024 * 1024;
        return GrpcChannel.ForAddress(AgentConstants.ChannelAddress, options);
    }
}
