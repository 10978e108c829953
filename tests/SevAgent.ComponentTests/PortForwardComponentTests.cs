using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>
/// The agent's port-forward RPCs (issue 12 item 3) against the agent process on the host, whose
/// /proc/net tables show the test's own sockets: WatchListeners reports a loopback listener and
/// drops it when it closes; ForwardPort carries bytes both ways, passes the host's half-close on,
/// ends with the guest side's EOF, and answers Unavailable for a port nobody listens on.
/// </summary>
public sealed class PortForwardComponentTests(AgentProcess agent) : AgentTestBase(agent)
{
    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Watch_listeners_reports_a_loopback_listener_and_its_closing()
    {
        await StartAgentAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = (uint)((IPEndPoint)listener.LocalEndpoint).Port;
        using var call = Client.WatchListeners(new WatchListenersRequest(), cancellationToken: cts.Token);
        try
        {
            Assert.True(await NextSetAsync(call, s => s.Contains((port, false)), cts.Token), $"localhost:{port} never reported");
            listener.Stop();
            Assert.True(await NextSetAsync(call, s => !s.Contains((port, false)), cts.Token), $"localhost:{port} still reported after it closed");
        }
        finally
        {
            listener.Stop();
        }
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Forward_port_carries_bytes_both_ways_and_ends_with_the_guest_side()
    {
        await StartAgentAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = (uint)((IPEndPoint)listener.LocalEndpoint).Port;

            // An upper-casing echo that answers after the client's half-close, then closes.
            var server = Task.Run(
                async () =>
                {
                    using var accepted = await listener.AcceptSocketAsync(cts.Token);
                    using var input = new MemoryStream();
                    var buffer = new byte[4096];
                    int read;
                    while ((read = await accepted.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
                    {
                        input.Write(buffer, 0, read);
                    }

                    await accepted.SendAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(input.ToArray()).ToUpperInvariant()), SocketFlags.None, cts.Token);
                },
                cts.Token);

            using var call = Client.ForwardPort(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new ForwardChunk { Port = port, Data = ByteString.CopyFromUtf8("hello ") }, cts.Token);
            await call.RequestStream.WriteAsync(new ForwardChunk { Data = ByteString.CopyFromUtf8("forward") }, cts.Token);
            await call.RequestStream.CompleteAsync();
            var reply = new StringBuilder();
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                reply.Append(call.ResponseStream.Current.Data.ToStringUtf8());
            }

            await server;
            Assert.Equal("HELLO FORWARD", reply.ToString());
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        }
        finally
        {
            listener.Stop();
        }
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Forward_port_to_a_closed_port_is_unavailable_and_a_bad_port_invalid()
    {
        await StartAgentAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = (uint)((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var unavailable = await ForwardErrorAsync(new ForwardChunk { Port = closed }, cts.Token);
        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
        Assert.Contains($"127.0.0.1:{closed}", unavailable.Status.Detail, StringComparison.Ordinal);

        var invalid = await ForwardErrorAsync(new ForwardChunk { Port = 70000 }, cts.Token);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("70000", invalid.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<RpcException> ForwardErrorAsync(ForwardChunk first, CancellationToken cancellationToken)
    {
        using var call = Client.ForwardPort(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(first, cancellationToken);
        return await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(cancellationToken));
    }

    private static async Task<bool> NextSetAsync(AsyncServerStreamingCall<ListenerSet> call, Func<HashSet<(uint, bool)>, bool> wanted, CancellationToken cancellationToken)
    {
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            if (wanted(call.ResponseStream.Current.Listeners.Select(l => (l.Port, l.Ipv6)).ToHashSet()))
            {
                return true;
            }
        }

        return false;
    }
}
