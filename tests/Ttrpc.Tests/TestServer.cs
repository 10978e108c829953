using System.Net.Sockets;

namespace Ttrpc.Tests;

/// <summary>A <see cref="TtrpcServer"/> with <see cref="FakeService"/> on a unix socket in a private temp dir.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _dir;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _serveCts = new();

    public TestServer(TtrpcServerOptions? options = null, uint? requiredPeerUid = null)
    {
        _dir = Directory.CreateTempSubdirectory("ttrpc-test-");
        SocketPath = Path.Combine(_dir.FullName, "s.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(64);
        options ??= new TtrpcServerOptions { Log = Logs.Enqueue };
        Server = requiredPeerUid is { } uid ? new TtrpcServer(options, uid) : new TtrpcServer(options);
        Service.Register(Server);
        Serving = Server.ServeAsync(_listener, _serveCts.Token);
    }

    public string SocketPath { get; }

    public TtrpcServer Server { get; }

    public FakeService Service { get; } = new();

    public Task Serving { get; }

    public System.Collections.Concurrent.ConcurrentQueue<string> Logs { get; } = new();

    public Task<TtrpcClient> ConnectAsync() => TtrpcClient.ConnectAsync("unix://" + SocketPath, CancellationToken.None);

    public Task<RawConnection> ConnectRawAsync() => RawConnection.ConnectAsync(SocketPath);

    public void CancelServe() => _serveCts.Cancel();

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Serving.WaitAsync(Patience);
        _listener.Dispose();
        _serveCts.Dispose();
        _dir.Delete(recursive: true);
    }
}
