using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

/// <summary>The server against raw frames: the malformed and unusual input a real client never sends.</summary>
public sealed class ServerProtocolTests
{
    [Fact]
    public async Task Oversized_request_gets_ResourceExhausted_and_the_connection_continues()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        await raw.SendAsync(RawConnection.Frame(1, FrameType.Request, new byte[TtrpcServerOptions.DefaultMaxMessageSize + 1]));
        await raw.SendAsync(RawConnection.RequestFrame(3, "Echo", new StringValue { Value = "still here" }));

        var first = await raw.ReceiveAsync();
        var second = await raw.ReceiveAsync();
        Assert.Equal(1u, first!.Value.Header.StreamId);
        Assert.Equal((int)TtrpcStatusCode.ResourceExhausted, first.Value.Response.Status.Code);
        Assert.Equal("message length 4194305 exceed maximum message size of 4194304", first.Value.Response.Status.Message);
        Assert.Equal(3u, second!.Value.Header.StreamId);
        Assert.Null(second.Value.Response.Status);
        Assert.Equal("still here", StringValue.Parser.ParseFrom(second.Value.Response.Payload).Value);
    }

    [Fact]
    public async Task Response_frames_are_type_2_with_flags_0()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        await raw.SendAsync(RawConnection.RequestFrame(1, "Echo", new StringValue { Value = "a" }));

        var answer = await raw.ReceiveAsync();
        Assert.Equal(FrameType.Response, answer!.Value.Header.Type);
        Assert.Equal(0, answer.Value.Header.Flags);
    }

    [Fact]
    public async Task Unknown_message_type_is_ignored()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        await raw.SendAsync(RawConnection.Frame(1, 0x7F, [1, 2, 3, 4]));
        await raw.SendAsync(RawConnection.Frame(3, FrameType.Data, [5]));
        await raw.SendAsync(RawConnection.RequestFrame(5, "Echo", new StringValue { Value = "after" }));

        var answer = await raw.ReceiveAsync();
        Assert.Equal(5u, answer!.Value.Header.StreamId);
        Assert.Equal("after", StringValue.Parser.ParseFrom(answer.Value.Response.Payload).Value);
    }

    [Fact]
    public async Task Even_stream_id_gets_InvalidArgument_on_that_id()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        await raw.SendAsync(RawConnection.RequestFrame(2, "Echo", new StringValue { Value = "x" }));

        var answer = await raw.ReceiveAsync();
        Assert.Equal(2u, answer!.Value.Header.StreamId);
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, answer.Value.Response.Status.Code);
        Assert.Equal("StreamID must be odd for client initiated streams", answer.Value.Response.Status.Message);
    }

    [Fact]
    public async Task Undecodable_request_envelope_gets_InvalidArgument()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        // 0x0F is field 1 with wire type 7, which does not exist.
        await raw.SendAsync(RawConnection.Frame(1, FrameType.Request, [0x0F]));

        var answer = await raw.ReceiveAsync();
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, answer!.Value.Response.Status.Code);
        Assert.StartsWith("unmarshal request error", answer.Value.Response.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undecodable_method_payload_gets_InvalidArgument()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();
        var request = new Protocol.Request
        {
            Service = FakeService.Name,
            Method = "Echo",
            Payload = Google.Protobuf.ByteString.CopyFrom(0x0F),
        };

        await raw.SendAsync(RawConnection.Frame(1, FrameType.Request, Google.Protobuf.MessageExtensions.ToByteArray(request)));

        var answer = await raw.ReceiveAsync();
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, answer!.Value.Response.Status.Code);
        Assert.Contains("Echo", answer.Value.Response.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_deadline_from_timeout_nano_gives_DeadlineExceeded_and_cancels_the_handler()
    {
        await using var server = new TestServer();
        using var raw = await server.ConnectRawAsync();

        await raw.SendAsync(RawConnection.RequestFrame(1, "Block", new Empty(), timeoutNano: 50_000_000));

        var answer = await raw.ReceiveAsync();
        Assert.Equal((int)TtrpcStatusCode.DeadlineExceeded, answer!.Value.Response.Status.Code);
        await server.Service.BlockCancelled.Task.WaitAsync(TestServer.Patience);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 1, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 1, 0, 0xAB, 0xCD })]
    public async Task Truncated_or_garbage_frame_then_close_ends_only_that_connection(byte[] garbage)
    {
        await using var server = new TestServer();
        using var bad = await server.ConnectRawAsync();
        using var good = await server.ConnectRawAsync();

        await bad.SendAsync(garbage);
        bad.Socket.Shutdown(SocketShutdown.Send);

        Assert.Null(await bad.ReceiveAsync());
        await good.SendAsync(RawConnection.RequestFrame(1, "Echo", new StringValue { Value = "ok" }));
        var answer = await good.ReceiveAsync();
        Assert.Equal("ok", StringValue.Parser.ParseFrom(answer!.Value.Response.Payload).Value);
    }

    [Fact]
    public async Task Peer_credentials_reach_the_handler()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();

        var result = await client.CallAsync(
            FakeService.Name, "Context", new Empty(), StringValue.Parser, TimeSpan.FromMinutes(1), CancellationToken.None,
            new Dictionary<string, string> { ["k"] = "v" });

        Assert.Equal(
            $"{FakeService.Name}|Context|{NativeMethods.GetEffectiveUserId()}|{Environment.ProcessId}|v|deadline",
            result.Value);
    }
}
