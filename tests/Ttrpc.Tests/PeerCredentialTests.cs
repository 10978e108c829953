using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

public sealed class PeerCredentialTests
{
    private static uint OtherUid => NativeMethods.GetEffectiveUserId() + 1;

    [Fact]
    public async Task Peer_with_another_uid_is_closed_at_once_when_same_uid_is_required()
    {
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = new TestServer(new TtrpcServerOptions { Log = logs.Enqueue }, requiredPeerUid: OtherUid);
        using var raw = await server.ConnectRawAsync();

        // The server closes without reading anything: we see end of stream, not an answer.
        Assert.Null(await raw.ReceiveAsync());
        Assert.Contains(logs, line => line.Contains("RequireSameUid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Peer_with_another_uid_is_served_when_same_uid_is_not_required()
    {
        await using var server = new TestServer(new TtrpcServerOptions { RequireSameUid = false }, requiredPeerUid: OtherUid);
        await using var client = await server.ConnectAsync();

        var reply = await client.CallAsync(FakeService.Name, "Echo", new StringValue { Value = "x" }, StringValue.Parser, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Equal("x", reply.Value);
    }
}
