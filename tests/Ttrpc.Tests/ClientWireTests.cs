using System.Net.Sockets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Ttrpc.Protocol;

namespace Ttrpc.Tests;

/// <summary>TtrpcClient against a hand-written peer, to check exactly what it puts on the wire.</summary>
public sealed class ClientWireTests
{
    [Fact]
    public async Task Stream_ids_are_odd_from_1_and_answers_in_any_order_reach_their_call()
    {
        var dir = Directory.CreateTempSubdirectory("ttrpc-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "peer.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            await using var client = await TtrpcClient.ConnectAsync(path, CancellationToken.None);
            using var peer = await listener.AcceptAsync().WaitAsync(TestServer.Patience);
            await using var stream = new NetworkStream(peer);
            var reader = new FrameReader(stream, TtrpcServerOptions.DefaultMaxMessageSize);

            var calls = new[] { "a", "b", "c" }
                .Select(v => client.CallAsync("svc.S", "M", new StringValue { Value = v }, StringValue.Parser, TimeSpan.FromSeconds(30), CancellationToken.None))
                .ToArray();
            var requests = new List<(FrameHeader Header, Request Request)>();
            for (var i = 0; i < 3; i++)
            {
                var frame = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TestServer.Patience);
                requests.Add((frame!.Value.Header, Request.Parser.ParseFrom(frame.Value.Payload)));
            }

            Assert.Equal(new uint[] { 1, 3, 5 }, requests.Select(r => r.Header.StreamId).Order());
            Assert.All(requests, r => Assert.Equal((FrameType.Request, (byte)0), (r.Header.Type, r.Header.Flags)));
            Assert.All(requests, r => Assert.InRange(r.Request.TimeoutNano, 1, 30_000_000_000));
            foreach (var (header, request) in requests.OrderByDescending(r => r.Header.StreamId))
            {
                var echo = new StringValue { Value = StringValue.Parser.ParseFrom(request.Payload).Value + "!" };
                var response = new Response { Payload = echo.ToByteString() };
                var bytes = new byte[FrameHeader.Size + response.CalculateSize()];
                new FrameHeader((uint)response.CalculateSize(), header.StreamId, FrameType.Response, 0).Write(bytes);
                response.WriteTo(bytes.AsSpan(FrameHeader.Size));
                await stream.WriteAsync(bytes);
            }

            var replies = await Task.WhenAll(calls).WaitAsync(TestServer.Patience);
            Assert.Equal(new[] { "a!", "b!", "c!" }, replies.Select(r => r.Value));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
