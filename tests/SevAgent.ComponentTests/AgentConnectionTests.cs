using System.Net.Sockets;
using Grpc.Core;
using SevAgent.Protocol.V1;
using SevAgentProto;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>
/// The agent keeps an idle connection open. Kestrel's "infinite" keep-alive overflowed into a
/// deadline in the past, so the agent closed every connection (GOAWAY NO_ERROR) at the first
/// heartbeat after its last call, and a streaming call opened in that window failed with "The
/// HTTP/2 server closed the connection" (issue 14's component flake). The shim holds one
/// connection per pod, idle between calls; over virtio-serial each closing cost a reconnect.
/// </summary>
public sealed class AgentConnectionTests(AgentProcess agent) : AgentTestBase(agent)
{
    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task An_idle_connection_stays_open_across_heartbeats_and_carries_a_stream()
    {
        await StartAgentAsync();
        var connects = 0;
        using var channel = AgentChannel.Create(async (_, cancellationToken) =>
        {
            Interlocked.Increment(ref connects);
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Agent.SocketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        });
        var client = new SevAgent.Protocol.V1.Agent.AgentClient(channel);
        await client.HealthAsync(new HealthRequest(), cancellationToken: Timeout);

        // Kestrel's heartbeat runs every second; three of them pass while the link is idle.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        using (var call = client.ForwardPort(cancellationToken: Timeout))
        {
            // A streaming call with a request body: if the server had sent GOAWAY, this write fails.
            await call.RequestStream.WriteAsync(new ForwardChunk { Port = 70000 }, Timeout);
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(Timeout));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await client.HealthAsync(new HealthRequest(), cancellationToken: Timeout);
        Assert.True(connects == 1, $"the client connected {connects} times: the agent closed an idle connection\n{Agent.Log}");
    }
}
