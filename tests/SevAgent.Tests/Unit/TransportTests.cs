using System.Net.Sockets;
using System.Text;
using SevAgent.Transport;
using SevAgentProto;

namespace SevAgent.Tests.Unit;

public sealed class TransportTests
{
    [Fact]
    public Task FdBridge_copies_both_ways_and_reports_the_outer_hangup() => WithBridgeAsync(async (hostEnd, kestrelEnd, bridge) =>
    {
        await hostEnd.SendAsync(Encoding.ASCII.GetBytes("to-agent"));
        Assert.Equal("to-agent", await ReceiveAsync(kestrelEnd, 8));
        await kestrelEnd.SendAsync(Encoding.ASCII.GetBytes("to-host"));
        Assert.Equal("to-host", await ReceiveAsync(hostEnd, 7));

        hostEnd.Shutdown(SocketShutdown.Both);
        Assert.Equal(FdBridge.End.OuterClosed, await bridge.WaitAsync(TimeSpan.FromSeconds(60)));
    });

    [Fact]
    public Task FdBridge_flushes_to_the_host_when_the_inner_side_ends() => WithBridgeAsync(async (hostEnd, kestrelEnd, bridge) =>
    {
        await kestrelEnd.SendAsync(Encoding.ASCII.GetBytes("goaway"));
        kestrelEnd.Shutdown(SocketShutdown.Both);

        Assert.Equal(FdBridge.End.InnerClosed, await bridge.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("goaway", await ReceiveAsync(hostEnd, 6));
    });

    /// <summary>
    /// Runs <paramref name="test"/> against an FdBridge between two socket pairs: the host's end
    /// (outer side), the end Kestrel would hold (inner side) and the bridge's task. The sockets are
    /// disposed afterwards.
    /// </summary>
    private static async Task WithBridgeAsync(Func<Socket, Socket, Task<FdBridge.End>, Task> test)
    {
        var (hostEnd, outer) = Pair();
        var (inner, kestrelEnd) = Pair();
        using (hostEnd)
        using (outer)
        using (inner)
        using (kestrelEnd)
        {
            FdBridge.SetNonBlocking((int)outer.Handle);
            FdBridge.SetNonBlocking((int)inner.Handle);
            var bridge = Task.Factory.StartNew(() => FdBridge.Run(outer.SafeHandle, inner.SafeHandle), TaskCreationOptions.LongRunning);
            await test(hostEnd, kestrelEnd, bridge);
        }
    }

    private static (Socket A, Socket B) Pair() => TestSupport.UnixSocketPair.Create();

    private static async Task<string> ReceiveAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (got < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), cts.Token);
            Assert.NotEqual(0, n);
            got += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }
}
