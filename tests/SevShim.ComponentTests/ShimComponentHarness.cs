using System.Net.Sockets;
using System.Threading.Channels;
using Google.Protobuf;
using SevShim.Events;
using SevShim.Protos.Containerd.EventsTtrpc;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.ComponentTests;

/// <summary>
/// The shim's task API as containerd sees it: <see cref="TaskService"/> behind
/// <see cref="TaskTtrpcAdapter"/> on a real <see cref="TtrpcServer"/> (unix socket in a private
/// temp dir), a <see cref="TtrpcClient"/> playing containerd, and events going through the real
/// publisher and <see cref="TtrpcEventForwarder"/> to a <see cref="FakeForwardServer"/>.
/// Only the VM is fake (<see cref="FakeSandboxFactory"/>).
/// </summary>
internal sealed class ShimComponentHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-comp-");
    private readonly Socket _listener;
    private readonly TtrpcServer _server;
    private readonly Task _serving;
    private readonly TaskEventPublisher _publisher;
    private TtrpcClient? _client;

    public ShimComponentHarness(TaskServiceOptions? options = null)
    {
        EventsSocket = Path.Combine(_dir.FullName, "events.sock");
        Forward = new FakeForwardServer(EventsSocket, Received);
        _publisher = new TaskEventPublisher(
            "sevtest",
            new TtrpcEventForwarder(EventsSocket),
            Serilog.Core.Logger.None,
            new EventPublisherOptions { InitialRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(200) });
        Service = new TaskService(Factory, _publisher, Serilog.Core.Logger.None, (options ?? new TaskServiceOptions()) with { ShimPid = 777, Version = "component" });

        var taskSocket = Path.Combine(_dir.FullName, "task.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(taskSocket));
        _listener.Listen(16);
        _server = new TtrpcServer(new TtrpcServerOptions());
        TaskTtrpcAdapter.Register(_server, Service, Serilog.Core.Logger.None);
        _serving = _server.ServeAsync(_listener, CancellationToken.None);
        TaskSocket = taskSocket;
    }

    public string TaskSocket { get; }

    public string EventsSocket { get; }

    public FakeSandboxFactory Factory { get; } = new();

    public TaskService Service { get; }

    public Channel<Envelope> Received { get; } = Channel.CreateUnbounded<Envelope>();

    public FakeForwardServer Forward { get; set; }

    /// <summary>A bundle directory with a minimal config.json.</summary>
    public string Bundle(string id)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundles", id)).FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
        return dir;
    }

    public async Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, string service = TaskTtrpcAdapter.ServiceV2)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        _client ??= await TtrpcClient.ConnectAsync("unix://" + TaskSocket, CancellationToken.None);
        return await _client.CallAsync(service, method, request, parser, Patience, CancellationToken.None);
    }

    public async Task<TtrpcException> CallFailsAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        await Assert.ThrowsAsync<TtrpcException>(() => CallAsync(method, request, parser));

    /// <summary>The next <paramref name="count"/> envelopes containerd would have received.</summary>
    public async Task<List<Envelope>> EventsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var list = new List<Envelope>();
        while (list.Count < count)
        {
            list.Add(await Received.Reader.ReadAsync(timeout.Token));
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        await _server.DisposeAsync();
        await _serving.WaitAsync(Patience);
        _listener.Dispose();
        await Service.DisposeAsync();
        await _publisher.DisposeAsync();
        await Forward.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
