using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

public sealed class ShutdownTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Graceful_shutdown_lets_in_flight_calls_finish_refuses_new_ones_then_closes()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        var inFlight = client.CallAsync(FakeService.Name, "Gate", new Int32Value { Value = 7 }, Int32Value.Parser, Timeout, CancellationToken.None);
        await server.Service.GateStarted(7).Task.WaitAsync(TestServer.Patience);

        // Draining has begun when ShutdownAsync returns its task (it starts synchronously).
        var shutdown = server.Server.ShutdownAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "late" }, StringValue.Parser, Timeout, CancellationToken.None));
        Assert.Equal(TtrpcStatusCode.Unavailable, refused.Code);
        Assert.False(shutdown.IsCompleted);

        server.Service.Gate(7).SetResult();

        Assert.Equal(7, (await inFlight.WaitAsync(TestServer.Patience)).Value);
        await shutdown.WaitAsync(TestServer.Patience);
        await server.Serving.WaitAsync(TestServer.Patience);
        await client.Completion.WaitAsync(TestServer.Patience);
    }

    [Fact]
    public async Task Shutdown_whose_token_fires_cancels_the_remaining_calls()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        var stuck = client.CallAsync(FakeService.Name, "Block", new Empty(), Empty.Parser, null, CancellationToken.None);
        await server.Service.BlockStarted.Task.WaitAsync(TestServer.Patience);

        await server.Server.ShutdownAsync(new CancellationToken(canceled: true)).WaitAsync(TestServer.Patience);

        await server.Service.BlockCancelled.Task.WaitAsync(TestServer.Patience);
        var error = await Assert.ThrowsAsync<TtrpcException>(() => stuck.WaitAsync(TestServer.Patience));
        Assert.True(error.Code is TtrpcStatusCode.Unavailable or TtrpcStatusCode.Cancelled, $"unexpected {error.Code}");
        await server.Serving.WaitAsync(TestServer.Patience);
    }

    [Fact]
    public async Task Cancelling_serve_stops_accepting_and_closes_connections()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        Assert.Equal("a", (await client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "a" }, StringValue.Parser, Timeout, CancellationToken.None)).Value);

        server.CancelServe();

        await server.Serving.WaitAsync(TestServer.Patience);
        await client.Completion.WaitAsync(TestServer.Patience);
        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(FakeService.Name, "Echo", new StringValue(), StringValue.Parser, Timeout, CancellationToken.None));
        Assert.Equal(TtrpcStatusCode.Unavailable, error.Code);
    }

    [Fact]
    public async Task Serve_after_shutdown_is_refused()
    {
        await using var server = new TestServer();
        await server.Server.ShutdownAsync(CancellationToken.None).WaitAsync(TestServer.Patience);

        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        Assert.Throws<ObjectDisposedException>(() => { _ = server.Server.ServeAsync(listener, CancellationToken.None); });
    }
}
