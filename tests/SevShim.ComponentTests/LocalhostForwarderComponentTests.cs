using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Netlink;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Network;
using TestSupport;

namespace SevShim.ComponentTests;

/// <summary>
/// The port-forward mirror (ARCHITECTURE decision 18) against a fake agent, in a network
/// namespace of the test's own: the guest's listener set changing, the cap on mirrored ports, a
/// forward the guest refuses and an agent without WatchListeners. End to end through containerd
/// it is CriPortForwardTests.
/// </summary>
public sealed class LocalhostForwarderComponentTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _netns = "sevfwd-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly bool _made;

    public LocalhostForwarderComponentTests()
    {
        if (Prerequisites.FirstMissing([Requirement.Root, Requirement.Iproute]) is null)
        {
            Ip("netns", "add", _netns);
            _made = true;
            Ip("-n", _netns, "link", "set", "lo", "up");
        }
    }

    private string NetnsPath => "/var/run/netns/" + _netns;

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task MirrorsTheGuestsListenersAsTheSetChangesAndCarriesBytesBothWays()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Iproute);
        using var agent = new FakeGuestAgent();
        await using var forwarder = LocalhostForwarder.Start(NetnsPath, agent, new FakeLogSink().CreateLogger());

        agent.PublishListeners(new GuestListener(8080, false), new GuestListener(9090, true));
        Assert.Equal("HELLO", await WhenReachableAsync(IPAddress.Loopback, 8080, "hello"));
        Assert.Equal("V6 TOO", await WhenReachableAsync(IPAddress.IPv6Loopback, 9090, "v6 too"));

        // 8080 stops listening in the guest: its mirror goes, so the pod's localhost refuses it as runc's would.
        agent.PublishListeners(new GuestListener(9090, true));
        await WhenRefusedAsync(IPAddress.Loopback, 8080);
        Assert.Equal("STILL", await WhenReachableAsync(IPAddress.IPv6Loopback, 9090, "still"));
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task MirrorsAtMostTheCapAndIgnoresPortsOutOfRange()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Iproute);
        using var agent = new FakeGuestAgent();
        await using var forwarder = LocalhostForwarder.Start(NetnsPath, agent, new FakeLogSink().CreateLogger());
        var listeners = Enumerable.Range(20000, LocalhostForwarder.MaxListeners + 44).Select(p => new GuestListener((uint)p, false))
            .Append(new GuestListener(0, false)).Append(new GuestListener(70000, false)).ToArray();
        agent.PublishListeners(listeners);

        // The lowest ports are kept: the last one within the cap answers, the first beyond it never does.
        var last = 20000 + LocalhostForwarder.MaxListeners - 1;
        Assert.Equal("X", await WhenReachableAsync(IPAddress.Loopback, last, "x"));
        Assert.False(await TryConnectAsync(IPAddress.Loopback, last + 1));
        var open = 0;
        for (var port = 20000; port < 20000 + LocalhostForwarder.MaxListeners + 44; port++)
        {
            open += await TryConnectAsync(IPAddress.Loopback, port) ? 1 : 0;
        }

        Assert.Equal(LocalhostForwarder.MaxListeners, open);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task AForwardTheGuestRefusesResetsTheClientsConnection()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Iproute);
        using var agent = new FakeGuestAgent();
        agent.RefusedPorts[7070] = true;
        await using var forwarder = LocalhostForwarder.Start(NetnsPath, agent, new FakeLogSink().CreateLogger());
        agent.PublishListeners(new GuestListener(7070, false));

        var deadline = DateTime.UtcNow + Patience;
        while (!await TryConnectAsync(IPAddress.Loopback, 7070))
        {
            Assert.True(DateTime.UtcNow < deadline, "localhost:7070 was never mirrored");
            await Task.Delay(50);
        }

        // The reset can reach the client before its connect has completed (seen under load:
        // the forwarder accepts and resets at once), so connect and read are one expectation.
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var client = await ConnectAsync(IPAddress.Loopback, 7070);
            var buffer = new byte[16];
            using var limit = new CancellationTokenSource(Patience);
            while (await client.ReceiveAsync(buffer, SocketFlags.None, limit.Token) > 0)
            {
            }

            throw new InvalidOperationException("a clean EOF instead of a reset");
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.True(agent.Forwarded[7070] >= 1);
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task AnAgentWithoutWatchListenersTurnsPortForwardOffOnceAndSaysSo()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Iproute);
        using var agent = new FakeGuestAgent { WatchFailure = ShimErrorKind.Unimplemented };
        var sink = new FakeLogSink();
        var clock = new ManualClock();
        await using (var forwarder = LocalhostForwarder.Start(NetnsPath, agent, sink.CreateLogger(), clock))
        {
            // A link failure would be retried after a delay on the clock; Unimplemented is final:
            // the watch ends by itself, with no retry waiting.
            await forwarder.Watching.WaitAsync(Patience);
            Assert.Equal(0, clock.WaitingTimers);
        }

        Assert.Equal(1, agent.WatchCalls);
        Assert.Contains(sink.Events, e => e.RenderMessage(null).Contains("port-forward into this pod is off", StringComparison.Ordinal));
    }

    [E2EFact(Requirement.Root, Requirement.Iproute)]
    public async Task ABrokenLinkIsWatchedAgainOnceTheRetryDelayHasPassed()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Iproute);
        using var agent = new FakeGuestAgent { WatchFailure = ShimErrorKind.Unavailable };
        var clock = new ManualClock();
        await using var forwarder = LocalhostForwarder.Start(NetnsPath, agent, new FakeLogSink().CreateLogger(), clock);

        for (var call = 1; call <= 3; call++)
        {
            // Parked on the clock after each failure, and not called again until it moves on.
            await UntilAsync(() => clock.WaitingTimers == 1, $"no retry waits on the clock after failure {call}");
            Assert.Equal(call, agent.WatchCalls);
            clock.Advance(LocalhostForwarder.RetryDelay - TimeSpan.FromMilliseconds(1));
            Assert.Equal(1, clock.WaitingTimers);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await UntilAsync(() => agent.WatchCalls == call + 1, $"the watch was not started again after failure {call}");
        }

        Assert.False(forwarder.Watching.IsCompleted, "a broken link must not end the watch");
    }

    public void Dispose()
    {
        if (_made)
        {
            Ip("netns", "delete", _netns);
        }
    }

    private async Task<string> WhenReachableAsync(IPAddress address, int port, string text)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                using var client = await ConnectAsync(address, port);
                await client.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);
                client.Shutdown(SocketShutdown.Send);
                var received = new MemoryStream();
                var buffer = new byte[256];
                int n;
                using var limit = new CancellationTokenSource(Patience);
                while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
                {
                    received.Write(buffer, 0, n);
                }

                return Encoding.ASCII.GetString(received.ToArray());
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    // Waits (on real time, for the code under test's threads) until the condition holds.
    private static async Task UntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    private async Task WhenRefusedAsync(IPAddress address, int port)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await TryConnectAsync(address, port))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{address}:{port} still accepts after the guest stopped listening");
            await Task.Delay(50);
        }
    }

    private async Task<bool> TryConnectAsync(IPAddress address, int port)
    {
        try
        {
            using var client = await ConnectAsync(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The socket is made on a thread inside the namespace and keeps it.
    private async Task<Socket> ConnectAsync(IPAddress address, int port)
    {
        var socket = await NetworkNamespace.RunAsync(NetnsPath, () => new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void Ip(params string[] args)
    {
        var info = new ProcessStartInfo(Prerequisites.FindTool("ip") ?? "ip") { RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {stderr}");
        }
    }
}
