using System.Collections.Concurrent;
using System.Net.Sockets;
using CsCheck;
using Fuzz.Tests.Harness;
using Google.Protobuf.WellKnownTypes;
using Ttrpc;
using Ttrpc.Protocol;
using Xunit.Abstractions;

namespace Fuzz.Tests.Ttrpc;

/// <summary>
/// Target 1b: a <see cref="TtrpcServer"/> on a unix socket gets each random or mutated byte
/// stream on a new connection, which then half-closes. The server must answer only with
/// Response frames on stream ids the client used, close the connection cleanly in bounded time,
/// never log an unexpected fault, and still serve a normal call afterwards.
/// </summary>
public sealed class ServerFuzz(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<string> _logs = new();
    private DirectoryInfo _dir = null!;
    private Socket _listener = null!;
    private TtrpcServer _server = null!;
    private Task _serving = Task.CompletedTask;
    private string _path = string.Empty;

    public Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("ttrpc-fuzz-");
        _path = Path.Combine(_dir.FullName, "s.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        _listener.Listen(512);
        _server = new TtrpcServer(new TtrpcServerOptions { Log = _logs.Enqueue });
        _server.AddMethod(TtrpcFrames.Service, "Echo", StringValue.Parser, (request, _, _) => Task.FromResult(new StringValue { Value = request.Value }));
        _serving = _server.ServeAsync(_listener, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _serving.WaitAsync(PerInput);
        _listener.Dispose();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Answers_or_closes_cleanly_and_keeps_serving()
    {
        await Fuzzer.RunAsync(
            new FuzzTarget<byte[]>(
                "ttrpc server",
                TtrpcFrames.Streams,
                bytes => Fuzzer.Bounded(PerInput, token => ExchangeAsync(bytes, token)),
                _ => false,
                bytes => Corpus.ToHex(bytes))
            {
                ShortRun = 3_000,
                Threads = 1,
                AllThreads = true,
                TimeLimit = PerInput,
                HangAfter = PerInput * 2,

                // The server reads each frame whole up to 4 MiB (and skips bigger ones through a
                // 64 KiB buffer): per header one limit, plus the connection's buffers.
                AllocationCap = bytes => ((bytes.Length / FrameHeader.Size) + 1) * (TtrpcServerOptions.DefaultMaxMessageSize + 4096L) + (1 << 20),
            },
            output);

        var faults = _logs.Where(l => l.Contains("failed unexpectedly", StringComparison.Ordinal) || l.StartsWith("ttrpc: handler of", StringComparison.Ordinal)).Take(5).ToList();
        Assert.True(faults.Count == 0, string.Join(Environment.NewLine, faults));
        await using var client = await TtrpcClient.ConnectAsync(_path, CancellationToken.None);
        var reply = await client.CallAsync(TtrpcFrames.Service, "Echo", new StringValue { Value = "still up" }, StringValue.Parser, PerInput, CancellationToken.None);
        Assert.Equal("still up", reply.Value);
    }

    private async Task ExchangeAsync(byte[] bytes, CancellationToken token)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_path), token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var sending = SendAsync(socket, stream, bytes, token);
        var ids = TtrpcFrames.StreamIds(bytes);
        var reader = new FrameReader(stream, TtrpcServerOptions.DefaultMaxMessageSize);
        while (await ReadAsync(reader, token) is { } frame)
        {
            Fuzzer.Require(frame.Header.Type == FrameType.Response, $"the server sent a frame of type {frame.Header.Type}");
            Fuzzer.Require(ids.Contains(frame.Header.StreamId), $"the server answered stream {frame.Header.StreamId}, which the client never used");
            Fuzzer.Require(!frame.IsOversized, "the server sent an oversized frame");
            _ = Response.Parser.ParseFrom(frame.Payload);
        }

        await sending;
    }

    private static async Task SendAsync(Socket socket, NetworkStream stream, byte[] bytes, CancellationToken token)
    {
        try
        {
            await stream.WriteAsync(bytes, token);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may close first (an oversized frame cut short, a protocol error): fine.
        }
        catch (SocketException)
        {
            // Likewise.
        }
    }

    private static async Task<Frame?> ReadAsync(FrameReader reader, CancellationToken token)
    {
        try
        {
            return await reader.ReadAsync(token);
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            // A reset after the server closed with our bytes unread: a clean close too.
            return null;
        }
    }
}
