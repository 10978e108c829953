using System.Net.Sockets;
using Runtime.V1;
using Grpc.Net.Client;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Our CRI client: one gRPC channel (HTTP/2 without TLS) to containerd's main socket, where the
/// CRI plugin serves runtime.v1.RuntimeService and runtime.v1.ImageService (CRI.md §5.2). Each
/// connection is a fresh unix-socket stream opened by the handler's ConnectCallback; the
/// "http://localhost" address only fills the request's authority. Disposing closes the channel.
/// </summary>
public sealed class CriChannel : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriChannel(string socketPath)
    {
        var endPoint = new UnixDomainSocketEndPoint(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // ExecSync answers carry up to 16 MiB per stream (containerd's cap, CRI.md §1.2).
            MaxReceiveMessageSize = 40 * 1024 * 1024,
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    /// <summary>runtime.v1.RuntimeService.</summary>
    public RuntimeService.RuntimeServiceClient Runtime { get; }

    /// <summary>runtime.v1.ImageService.</summary>
    public ImageService.ImageServiceClient Images { get; }

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
