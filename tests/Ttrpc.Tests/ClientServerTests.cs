using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

/// <summary>TtrpcClient against TtrpcServer over a real unix socket.</summary>
public sealed class ClientServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Echo_round_trips()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();

        var reply = await client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "hello" }, StringValue.Parser, Timeout, CancellationToken.None);

        Assert.Equal("hello", reply.Value);
    }

    [Fact]
    public async Task Many_in_flight_calls_answered_out_of_order_are_matched_by_stream_id()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        const int count = 40;

        var calls = Enumerable.Range(0, count)
            .Select(n => client.CallAsync(FakeService.Name, "Gate", new Int32Value { Value = n }, Int32Value.Parser, Timeout, CancellationToken.None))
            .ToArray();
        await Task.WhenAll(Enumerable.Range(0, count).Select(n => server.Service.GateStarted(n).Task)).WaitAsync(TestServer.Patience);
        for (var n = count - 1; n >= 0; n--)
        {
            server.Service.Gate(n).SetResult();
            Assert.Equal(n, (await calls[n].WaitAsync(TestServer.Patience)).Value);
        }

        Assert.All(calls, call => Assert.True(call.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Client_timeout_gives_DeadlineExceeded_and_cancels_the_handler()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(FakeService.Name, "Block", new Empty(), Empty.Parser, TimeSpan.FromMilliseconds(100), CancellationToken.None));

        Assert.Equal(TtrpcStatusCode.DeadlineExceeded, error.Code);
        await server.Service.BlockCancelled.Task.WaitAsync(TestServer.Patience);
    }

    [Theory]
    [InlineData("nope.Svc", "Echo", "service nope.Svc")]
    [InlineData(FakeService.Name, "Nope", "method Nope")]
    public async Task Unknown_service_or_method_is_Unimplemented(string service, string method, string message)
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(service, method, new StringValue(), StringValue.Parser, Timeout, CancellationToken.None));

        Assert.Equal(TtrpcStatusCode.Unimplemented, error.Code);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("notfound", TtrpcStatusCode.NotFound, "no such thing")]
    [InlineData("boom", TtrpcStatusCode.Unknown, "boom")]
    public async Task Handler_exceptions_become_statuses(string input, TtrpcStatusCode code, string message)
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(FakeService.Name, "Fail", new StringValue { Value = input }, Empty.Parser, Timeout, CancellationToken.None));

        Assert.Equal((code, message), (error.Code, error.Message));
    }

    [Fact]
    public async Task Client_disconnect_mid_request_cancels_its_handler_and_other_connections_keep_working()
    {
        await using var server = new TestServer();
        var leaving = await server.ConnectAsync();
        await using var staying = await server.ConnectAsync();

        var abandoned = leaving.CallAsync(FakeService.Name, "Block", new Empty(), Empty.Parser, null, CancellationToken.None);
        await server.Service.BlockStarted.Task.WaitAsync(TestServer.Patience);
        await leaving.DisposeAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() => abandoned.WaitAsync(TestServer.Patience));
        Assert.Equal(TtrpcStatusCode.Unavailable, error.Code);
        await server.Service.BlockCancelled.Task.WaitAsync(TestServer.Patience);
        var reply = await staying.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "fine" }, StringValue.Parser, Timeout, CancellationToken.None);
        Assert.Equal("fine", reply.Value);
    }

    [Fact]
    public async Task Oversized_request_is_refused_locally_with_ResourceExhausted()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        var big = new BytesValue { Value = Google.Protobuf.ByteString.CopyFrom(new byte[TtrpcServerOptions.DefaultMaxMessageSize]) };

        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(FakeService.Name, "Echo", big, StringValue.Parser, Timeout, CancellationToken.None));

        Assert.Equal(TtrpcStatusCode.ResourceExhausted, error.Code);
        Assert.Equal("x", (await client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "x" }, StringValue.Parser, Timeout, CancellationToken.None)).Value);
    }

    [Fact]
    public async Task Connecting_to_a_missing_socket_is_Unavailable_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ttrpc-missing-{Guid.NewGuid():N}.sock");

        var error = await Assert.ThrowsAsync<TtrpcException>(() => TtrpcClient.ConnectAsync(path, CancellationToken.None));

        Assert.Equal(TtrpcStatusCode.Unavailable, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_address_schemes_are_rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TtrpcClient.ConnectAsync("vsock://3:1024", CancellationToken.None));
    }

    [Fact]
    public async Task Cancelled_call_throws_OperationCanceled_and_the_connection_stays_usable()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync();
        using var cts = new CancellationTokenSource();

        var call = client.CallAsync(FakeService.Name, "Block", new Empty(), Empty.Parser, null, cts.Token);
        await server.Service.BlockStarted.Task.WaitAsync(TestServer.Patience);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TestServer.Patience));
        Assert.Equal("y", (await client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "y" }, StringValue.Parser, Timeout, CancellationToken.None)).Value);
    }
}
