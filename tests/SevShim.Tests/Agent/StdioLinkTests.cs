using System.Buffers.Binary;
using System.Net.Sockets;
using SevAgentProto.Stdio;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Tests.Agent;

/// <summary>
/// The shim's end of the stdio link on a socket pair; the test plays the agent frame by frame
/// with the shared frame reader and writer (a fake agent: the real one is in GuestImage and ctr e2e tests).
/// </summary>
public sealed class StdioLinkTests : IDisposable
{
    private static readonly GuestProcessId Process = new("c1", "e1");
    private readonly Socket _agentSocket;
    private readonly NetworkStream _agent;
    private readonly StdioFrameWriter _writer;
    private readonly StdioFrameReader _reader;
    private readonly StdioLink _link;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public StdioLinkTests()
    {
        var (shim, agent) = TestSupport.UnixSocketPair.Create();
        _agentSocket = agent;
        _agent = new NetworkStream(_agentSocket, ownsSocket: true);
        _writer = new StdioFrameWriter(_agent);
        _reader = new StdioFrameReader(_agent);
        _link = new StdioLink(new NetworkStream(shim, ownsSocket: true), new ChunkPool(), Serilog.Core.Logger.None);
    }

    public void Dispose()
    {
        _link.Dispose();
        _agent.Dispose();
        _writer.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Output_arrives_in_order_and_each_read_gives_the_last_chunk_back_as_credit()
    {
        using var output = _link.OpenOutput(Process, GuestOutputKind.Stderr, _timeout.Token);
        var (open, payload) = await Next();
        Assert.Equal(StdioFrameType.OpenOutput, open.Type);
        var request = StdioOpen.TryDecode(payload, output: true);
        Assert.Equal(new StdioOpen(StdioOutputKind.Stderr, StdioLink.OutputCredit, "c1", "e1"), request);

        await Send(StdioFrameType.Data, open.Stream, "one"u8.ToArray());
        await Send(StdioFrameType.Data, open.Stream, "three"u8.ToArray());

        using (var first = await output.ReadAsync(_timeout.Token))
        {
            Assert.Equal("one"u8.ToArray(), first!.Span.ToArray());
        }

        using (var second = await output.ReadAsync(_timeout.Token))
        {
            Assert.Equal("three"u8.ToArray(), second!.Span.ToArray());
            var (credit, grant) = await Next();
            Assert.Equal((StdioFrameType.Credit, open.Stream, 3), (credit.Type, credit.Stream, BinaryPrimitives.ReadInt32BigEndian(grant)));
        }

        await Send(StdioFrameType.End, open.Stream, []);

        Assert.Null(await output.ReadAsync(_timeout.Token));
    }

    [Fact]
    public async Task An_error_frame_fails_the_read_with_the_agents_kind_and_message()
    {
        using var output = _link.OpenOutput(Process, GuestOutputKind.Stdout, _timeout.Token);
        var (open, _) = await Next();

        await Send(StdioFrameType.Error, open.Stream, new StdioError(StdioErrorCode.NotFound, "no container c1").Encode());

        var ex = await Assert.ThrowsAsync<ShimException>(async () => await output.ReadAsync(_timeout.Token));
        Assert.Equal(ShimErrorKind.NotFound, ex.Kind);
        Assert.Contains("no container c1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stdout of c1/e1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_links_end_fails_every_open_stream_as_unavailable()
    {
        using var output = _link.OpenOutput(Process, GuestOutputKind.Stdout, _timeout.Token);
        using var stdin = _link.OpenStdin(Process, _timeout.Token);
        await Next();
        await Next();

        _agentSocket.Shutdown(SocketShutdown.Both);

        var read = await Assert.ThrowsAsync<ShimException>(async () => await output.ReadAsync(_timeout.Token));
        Assert.Equal(ShimErrorKind.Unavailable, read.Kind);
        var write = await Assert.ThrowsAsync<ShimException>(() => stdin.WriteAsync("x"u8.ToArray(), _timeout.Token));
        Assert.Equal(ShimErrorKind.Unavailable, write.Kind);
    }

    [Fact]
    public async Task Stdin_waits_for_credit_sends_within_it_and_completes_on_the_agents_end()
    {
        using var stdin = _link.OpenStdin(Process, _timeout.Token);
        var (open, payload) = await Next();
        Assert.Equal(StdioFrameType.OpenInput, open.Type);
        Assert.Equal(new StdioOpen(null, 0, "c1", "e1"), StdioOpen.TryDecode(payload, output: false));

        var write = stdin.WriteAsync("hello"u8.ToArray(), _timeout.Token);
        await Task.Delay(100);
        Assert.False(write.IsCompleted, "stdin was sent without credit");
        await Credit(open.Stream, 2);
        var (part, bytes) = await Next();
        Assert.Equal((StdioFrameType.Data, "he"), (part.Type, System.Text.Encoding.ASCII.GetString(bytes)));
        await Credit(open.Stream, 100);
        var (rest, restBytes) = await Next();
        Assert.Equal((StdioFrameType.Data, "llo"), (rest.Type, System.Text.Encoding.ASCII.GetString(restBytes)));
        await write;

        var complete = stdin.CompleteAsync(_timeout.Token);
        var (end, _) = await Next();
        Assert.Equal(StdioFrameType.End, end.Type);
        Assert.False(complete.IsCompleted, "the close returned before the agent closed stdin");
        await Send(StdioFrameType.End, open.Stream, []);
        await complete;
    }

    [Fact]
    public async Task Disposing_an_open_output_cancels_it_and_drops_late_data()
    {
        var output = _link.OpenOutput(Process, GuestOutputKind.Stdout, _timeout.Token);
        var (open, _) = await Next();

        output.Dispose();

        var (cancel, _) = await Next();
        Assert.Equal((StdioFrameType.Cancel, open.Stream), (cancel.Type, cancel.Stream));
        await Send(StdioFrameType.Data, open.Stream, "late"u8.ToArray());
        // The link still serves others after the late frame.
        using var next = _link.OpenOutput(Process, GuestOutputKind.Stdout, _timeout.Token);
        var (second, _) = await Next();
        await Send(StdioFrameType.Data, second.Stream, "ok"u8.ToArray());
        using var chunk = await next.ReadAsync(_timeout.Token);
        Assert.Equal("ok"u8.ToArray(), chunk!.Span.ToArray());
    }

    private Task Send(StdioFrameType type, uint stream, byte[] payload) => _writer.WriteAsync(type, stream, payload, _timeout.Token);

    private Task Credit(uint stream, int bytes) => _writer.CreditAsync(stream, bytes, _timeout.Token);

    private async Task<(StdioFrameHeader Header, byte[] Payload)> Next()
    {
        var header = await _reader.ReadHeaderAsync(_timeout.Token) ?? throw new EndOfStreamException("the shim closed the link");
        var payload = new byte[header.Length];
        await _reader.ReadPayloadAsync(payload, _timeout.Token);
        return (header, payload);
    }
}
