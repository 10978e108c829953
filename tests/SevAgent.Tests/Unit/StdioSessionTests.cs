using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgent.Io;
using SevAgentProto.Stdio;
using SevRuntime.Posix;

namespace SevAgent.Tests.Unit;

/// <summary>
/// The agent's end of the stdio link on a socket pair, against process streams of real pipes
/// (<see cref="FakeStdioStreams"/> stands in for the container registry). The host side is
/// played frame by frame with the shared frame reader and writer.
/// </summary>
public sealed class StdioSessionTests : IAsyncLifetime
{
    private readonly FakeStdioStreams _streams = new();
    private Socket? _guest;
    private NetworkStream? _host;
    private StdioFrameWriter? _writer;
    private StdioFrameReader? _reader;
    private Task? _session;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));

    public Task InitializeAsync()
    {
        var (host, guest) = TestSupport.UnixSocketPair.Create();
        _guest = guest;
        _host = new NetworkStream(host, ownsSocket: true);
        _writer = new StdioFrameWriter(_host);
        _reader = new StdioFrameReader(_host);
        _session = Task.Run(async () =>
        {
            // As StdioServer does: the link closes when its session ends.
            await using var link = new NetworkStream(guest, ownsSocket: true);
            using var session = new StdioSession(link, _streams, NullLogger.Instance);
            await session.RunAsync(_stop.Token);
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _host?.Dispose();
        _guest?.Dispose();
        if (_session is not null)
        {
            await _session.WaitAsync(TimeSpan.FromSeconds(10));
        }

        _writer?.Dispose();
        _streams.Dispose();
        _stop.Dispose();
    }

    [Fact]
    public async Task Output_never_exceeds_the_credit_and_ends_after_all_bytes()
    {
        var process = _streams.Add("c1", "");
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        await Open(1, StdioOutputKind.Stdout, credit: 1000);
        var writing = Task.Run(() => { process.StdoutWriter.Write(data); process.StdoutWriter.Dispose(); });

        var received = new List<byte>();
        long credit = 1000;
        while (true)
        {
            var (header, payload) = await Next();
            Assert.Equal(1u, header.Stream);
            if (header.Type == StdioFrameType.End)
            {
                break;
            }

            Assert.Equal(StdioFrameType.Data, header.Type);
            credit -= payload.Length;
            Assert.True(credit >= 0, "the agent sent more than the host's credit");
            received.AddRange(payload);
            if (credit == 0)
            {
                await Grant(1, 7000);
                credit += 7000;
            }
        }

        await writing;
        Assert.Equal(data, received);
    }

    [Fact]
    public async Task A_stream_without_credit_does_not_hold_up_another_process()
    {
        var slow = _streams.Add("slow", "");
        var fast = _streams.Add("fast", "e1");
        await Open(1, StdioOutputKind.Stdout, credit: 4, "slow");
        await Open(3, StdioOutputKind.Stdout, credit: 1 << 20, "fast", "e1");
        slow.StdoutWriter.Write("blocked forever"u8);
        fast.StdoutWriter.Write("hello"u8);
        fast.StdoutWriter.Dispose();

        var fromFast = new List<byte>();
        var fastEnded = false;
        while (!fastEnded)
        {
            var (header, payload) = await Next();
            if (header.Stream == 1)
            {
                Assert.Equal(StdioFrameType.Data, header.Type);
                Assert.True(payload.Length <= 4);
                continue;
            }

            fastEnded = header.Type == StdioFrameType.End;
            fromFast.AddRange(payload);
        }

        Assert.Equal("hello"u8.ToArray(), fromFast);
    }

    [Fact]
    public async Task An_unknown_process_is_a_not_found_error_naming_it()
    {
        await Open(5, StdioOutputKind.Stderr, credit: 100, "nope");

        var (header, payload) = await Next();

        Assert.Equal(StdioFrameType.Error, header.Type);
        Assert.Equal(5u, header.Stream);
        var error = StdioError.Decode(payload);
        Assert.Equal(StdioErrorCode.NotFound, error.Code);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdin_is_written_in_order_then_closed_and_the_close_answered()
    {
        var process = _streams.Add("c1", "");
        await _writer!.WriteAsync(StdioFrameType.OpenInput, 7, new StdioOpen(null, 0, "c1", "").Encode(), CancellationToken.None);
        var (credit, grant) = await Next();
        Assert.Equal(StdioFrameType.Credit, credit.Type);
        Assert.Equal(StdioSession.InputCredit, BinaryPrimitives.ReadInt32BigEndian(grant));

        await _writer.WriteAsync(StdioFrameType.Data, 7, "hello "u8.ToArray(), CancellationToken.None);
        await _writer.WriteAsync(StdioFrameType.Data, 7, "world"u8.ToArray(), CancellationToken.None);
        await _writer.WriteAsync(StdioFrameType.End, 7, ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        var all = await Task.Run(() => new StreamReader(process.StdinReader).ReadToEnd()).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("hello world", all);
        while (true)
        {
            var (header, _) = await Next();
            Assert.Equal(7u, header.Stream);
            if (header.Type == StdioFrameType.End)
            {
                break;
            }

            Assert.Equal(StdioFrameType.Credit, header.Type);
        }
    }

    [Fact]
    public async Task A_cancelled_output_keeps_what_was_not_sent_for_the_next_reader()
    {
        var process = _streams.Add("c1", "");
        await Open(1, StdioOutputKind.Stdout, credit: 0);
        process.StdoutWriter.Write("kept"u8);
        await Task.Delay(200);
        await _writer!.WriteAsync(StdioFrameType.Cancel, 1, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        process.StdoutWriter.Dispose();
        await Open(3, StdioOutputKind.Stdout, credit: 100);

        var (data, payload) = await Next();
        Assert.Equal((StdioFrameType.Data, 3u), (data.Type, data.Stream));
        Assert.Equal("kept"u8.ToArray(), payload);
        var (end, _) = await Next();
        Assert.Equal((StdioFrameType.End, 3u), (end.Type, end.Stream));
    }

    [Fact]
    public async Task A_malformed_header_ends_the_connection()
    {
        await _host!.WriteAsync(new byte[] { 0x7f, 0, 0, 0, 1, 0, 0, 0, 0 });

        await _session!.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Null(await _reader!.ReadHeaderAsync(CancellationToken.None));
    }

    private Task Open(uint stream, StdioOutputKind kind, uint credit, string container = "c1", string exec = "") =>
        _writer!.WriteAsync(StdioFrameType.OpenOutput, stream, new StdioOpen(kind, credit, container, exec).Encode(), CancellationToken.None);

    private Task Grant(uint stream, int bytes) => _writer!.CreditAsync(stream, bytes, CancellationToken.None);

    private async Task<(StdioFrameHeader Header, byte[] Payload)> Next()
    {
        var header = await _reader!.ReadHeaderAsync(_stop.Token) ?? throw new EndOfStreamException("the agent closed the link");
        var payload = new byte[header.Length];
        await _reader.ReadPayloadAsync(payload, _stop.Token);
        return (header, payload);
    }
}

/// <summary>A fake of the agent's container registry: processes whose stdio are plain pipes the test holds the other ends of.</summary>
internal sealed class FakeStdioStreams : IStdioStreams, IDisposable
{
    private readonly Dictionary<(string, string), FakeProcess> _processes = [];

    public FakeProcess Add(string container, string exec)
    {
        var process = new FakeProcess(container);
        _processes[(container, exec)] = process;
        return process;
    }

    public OutputPump? Output(string containerId, string execId, StdioOutputKind kind) => Find(containerId, execId).Stdout;

    public (StdinWriter Writer, string Name) Input(string containerId, string execId) => (Find(containerId, execId).Stdin, $"container {containerId}");

    public void Dispose()
    {
        foreach (var p in _processes.Values)
        {
            p.Dispose();
        }
    }

    private FakeProcess Find(string containerId, string execId) =>
        _processes.TryGetValue((containerId, execId), out var p) ? p : throw new AgentException(AgentErrorKind.NotFound, $"no container {containerId}");
}

/// <summary>One fake process: an output pump on a pipe the test writes, and a stdin writer on a pipe the test reads.</summary>
internal sealed class FakeProcess : IDisposable
{
    public FakeProcess(string name)
    {
        var (outRead, outWrite) = Pipe();
        StdoutWriter = new FileStream(outWrite, FileAccess.Write, 1);
        Stdout = new OutputPump(outRead, "stdout of " + name);
        var (inRead, inWrite) = Pipe();
        StdinReader = new FileStream(inRead, FileAccess.Read, 1);
        Stdin = new StdinWriter(inWrite, terminal: false, name);
    }

    public FileStream StdoutWriter { get; }

    public OutputPump Stdout { get; }

    public FileStream StdinReader { get; }

    public StdinWriter Stdin { get; }

    public void Dispose()
    {
        StdoutWriter.Dispose();
        StdinReader.Dispose();
    }

    private static unsafe (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (SevAgent.Native.LibC.pipe2(fds, Posix.O_CLOEXEC) != 0)
        {
            throw new IOException("pipe2 failed");
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }
}
