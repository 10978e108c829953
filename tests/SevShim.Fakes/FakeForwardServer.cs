using System.Net.Sockets;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.EventsTtrpc;
using Ttrpc;

namespace SevShim.Fakes;

/// <summary>
/// Stands in for containerd's ttrpc events service: a real <see cref="TtrpcServer"/> on a unix
/// socket serving containerd.services.events.ttrpc.v1.Events/Forward, recording every envelope.
/// </summary>
internal sealed class FakeForwardServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TtrpcServer _server;
    private readonly Task _serving;

    public FakeForwardServer(string socketPath, Channel<Envelope> received)
    {
        SocketPath = socketPath;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _server = new TtrpcServer(new TtrpcServerOptions());
        _server.AddMethod<ForwardRequest, Empty>(
            "containerd.services.events.ttrpc.v1.Events",
            "Forward",
            ForwardRequest.Parser,
            (request, _, _) =>
            {
                received.Writer.TryWrite(request.Envelope);
                return Task.FromResult(new Empty());
            });
        _serving = _server.ServeAsync(_listener, CancellationToken.None);
    }

    public string SocketPath { get; }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _serving.WaitAsync(TimeSpan.FromSeconds(60));
        _listener.Dispose();
        File.Delete(SocketPath);
    }
}
