using System.Net.Sockets;
using System.Text;
using SevAgentProto;

namespace SevAgent.Tests.Unit;

public sealed class LinkHandshakeTests
{
    [Fact]
    public void Scan_finds_a_sync_line_after_stale_bytes()
    {
        var data = Encoding.ASCII.GetBytes("\0\0\x04stale frame bytesSEVAGENT-SYNC ABC123\nPRI");
        var (kind, nonce, offset) = LinkHandshake.Scan(data);

        Assert.Equal(LinkHandshake.Start.Sync, kind);
        Assert.Equal("ABC123", nonce);
        Assert.Equal("PRI", Encoding.ASCII.GetString(data, offset, data.Length - offset));
    }

    [Fact]
    public void Scan_accepts_an_http2_preface_without_handshake()
    {
        var data = Encoding.ASCII.GetBytes("junk" + LinkHandshake.Http2Preface + "frames");
        var (kind, _, offset) = LinkHandshake.Scan(data);

        Assert.Equal(LinkHandshake.Start.Preface, kind);
        Assert.Equal(4, offset);
    }

    [Fact]
    public void Scan_keeps_a_partial_marker_for_the_next_read()
    {
        var data = Encoding.ASCII.GetBytes(new string('x', 100) + "SEVAGENT-SY");
        var (kind, _, offset) = LinkHandshake.Scan(data);

        Assert.Equal(LinkHandshake.Start.None, kind);
        Assert.True(offset <= 100, "the partial marker must be kept");
        var (kind2, nonce, _) = LinkHandshake.Scan([.. data[offset..], .. Encoding.ASCII.GetBytes("NC 42\n")]);
        Assert.Equal(LinkHandshake.Start.Sync, kind2);
        Assert.Equal("42", nonce);
    }

    [Fact]
    public async Task Host_side_retries_until_answered_and_drops_stale_bytes()
    {
        var path = Path.Combine(Path.GetTempPath(), "hs-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        try
        {
            // A fake guest: never answers the first connection (agent not up yet) and holds it until
            // the host gives up on it (EOF), then answers the next one after stale bytes of an older
            // connection. Waiting for the EOF instead of sleeping keeps the test independent of the
            // machine's load: the answer always falls inside the second attempt's window.
            var fakeGuest = Task.Run(async () =>
            {
                using (var ignored = await listener.AcceptAsync())
                {
                    await ReadLineAsync(ignored);
                    var rest = new byte[64];
                    while (await ignored.ReceiveAsync(rest) > 0)
                    {
                    }
                }

                var served = await listener.AcceptAsync();
                var line = await ReadLineAsync(served);
                var nonce = line[LinkHandshake.SyncPrefix.Length..];
                await served.SendAsync(Encoding.ASCII.GetBytes("\0\0\x08\x07stale"));
                await served.SendAsync(LinkHandshake.ReadyLine(nonce));
                await served.SendAsync(Encoding.ASCII.GetBytes("SETTINGS"));
                return served;
            });

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var connect = AgentChannel.ConnectVirtioSerialAsync(path, TimeSpan.FromSeconds(2), cts.Token);
            if (await Task.WhenAny(connect, fakeGuest) == fakeGuest && fakeGuest.IsFaulted)
            {
                await fakeGuest; // the fake guest's own failure, not a 60 s cancellation
            }

            await using var stream = await connect;
            using var guestEnd = await fakeGuest;
            var buffer = new byte[8];
            await stream.ReadExactlyAsync(buffer, cts.Token);
            Assert.Equal("SETTINGS", Encoding.ASCII.GetString(buffer));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await socket.ReceiveAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }
}
